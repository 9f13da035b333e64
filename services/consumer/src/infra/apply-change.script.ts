/**
 * Applies a batch of events to the users of one view, each user's changes atomically with the
 * marks that make them idempotent. One call reads each user's hash once, applies its changes in
 * order in Lua, and writes the hash back once: per-event Redis work is a few table operations.
 *
 * Idempotency is bounded (docs/architecture.md, "Applying each event once"):
 * - offsets in the sink: per user and source partition, the highest offset applied, `o@<src>`.
 *   A record at or below it is a re-delivery. A rebuild keeps its own mark, `r@<src>`, and
 *   leaves to the live consumer every record from `f@<src>`, the first offset the live consumer
 *   applied to this user while the rebuild filled this view; the live consumer leaves alone what
 *   a rebuild that ran ahead of it applied (at or below `r@<src>`);
 * - for a re-published event (same id, another offset) and for a retry or an operator's replay
 *   (no source offset): the last WINDOW event ids applied with an offset (ring `l1`…) and out of
 *   band (ring `w1`…).
 *
 * KEYS: the user hashes. ARGV: 1 writer (`live`; `live-beside-rebuild` into a view a rebuild is
 * writing, which records `f@`; or `rebuild`), 2 notification channel ('' for
 * none), 3 WINDOW, then per change 11 values: key index, source (`<topic>/<partition>`, '' for
 * none), offset, event id, kind, and 6 values of the change: token-issued's `issuedAt` (then 5
 * empty), or the profile's id, username, email, createdAt, firstName, lastName (see `change`).
 * Returns per change 1 applied, 0 already applied, -1 not a change this script knows.
 */
export const APPLY_CHANGES_SCRIPT = `
local writer, channel, window = ARGV[1], ARGV[2], tonumber(ARGV[3])
local VIEW_FIELDS = { 'id', 'username', 'email', 'firstName', 'lastName', 'createdAt',
  'tokensIssued', 'lastTokenIssuedAt' }
local users, results = {}, {}

local function load(k)
  local user = users[k]
  if user then return user end
  local flat = redis.call('HGETALL', KEYS[k])
  local hash = {}
  for i = 1, #flat, 2 do hash[flat[i]] = flat[i + 1] end
  user = { hash = hash, dirty = {} }
  users[k] = user
  return user
end

local function set(user, field, value)
  user.hash[field] = value
  user.dirty[field] = true
end

-- A window is a ring of fields <name>1..<name>WINDOW and its next slot in <name>#: short values
-- keep the hash in Redis' compact listpack encoding, which a 300-byte field would end. The
-- field names are made once per call: a string built per event costs more than the lookup.
local RING = { l = {}, w = {} }
for name, fields in pairs(RING) do
  for slot = 1, window do fields[slot] = name .. slot end
end

local function seen(h, name, id)
  if not h[name .. '#'] then return false end
  for _, field in ipairs(RING[name]) do
    if h[field] == id then return true end
  end
  return false
end

local function remember(user, name, id)
  local slot = (tonumber(user.hash[name .. '#']) or 0) % window + 1
  set(user, RING[name][slot], id)
  set(user, name .. '#', tostring(slot))
end

local PROFILE_FIELDS = { 'id', 'username', 'email', 'createdAt' }

-- The change's values (ARGV from i), or nil when it is not a change this script knows. Values
-- come as arguments, not JSON: decoding costs more than the whole change.
local function change(kind, i)
  if kind == 'token-issued' then
    return ARGV[i] ~= '' and ARGV[i] or nil
  end
  if kind ~= 'profile' then return nil end
  local p = {}
  for n, field in ipairs(PROFILE_FIELDS) do
    if ARGV[i + n - 1] == '' then return nil end
    p[field] = ARGV[i + n - 1]
  end
  -- A name is '' when absent, '=' followed by the name when present (which may be empty).
  p.firstName = ARGV[i + 4] ~= '' and string.sub(ARGV[i + 4], 2) or false
  p.lastName = ARGV[i + 5] ~= '' and string.sub(ARGV[i + 5], 2) or false
  return p
end

local function above(h, field, offset)
  local mark = h[field]
  return not mark or offset > tonumber(mark)
end

-- Whether the change is new to this user, by the rules above. Every writer also leaves alone
-- what the other one applied: the live writer what a rebuild that ran ahead of it applied
-- (at or below r@), the rebuild what the live writer took on (from f@).
local function fresh(user, src, offset, id)
  local h = user.hash
  if seen(h, 'w', id) or seen(h, 'l', id) then return false end
  if src == '' then return true end
  if not above(h, 'r@' .. src, offset) then return false end
  if writer == 'rebuild' then
    local first = h['f@' .. src]
    return not (first and offset >= tonumber(first))
  end
  return above(h, 'o@' .. src, offset)
end

-- Offsets are stored as they came (Lua would print a large number rounded); compared as numbers.
local function mark(user, src, offset, raw, id)
  if src == '' then return remember(user, 'w', id) end
  local field = (writer == 'rebuild' and 'r@' or 'o@') .. src
  local first = 'f@' .. src
  if writer == 'live-beside-rebuild' and user.hash[first] == nil then set(user, first, raw) end
  if above(user.hash, field, offset) then set(user, field, raw) end
  remember(user, 'l', id)
end

-- Published after the writes: a script that fails half-way has told nobody of a change it lost.
local published = {}
local function notify(user)
  local h = user.hash
  if not h.username then return end
  local view = {}
  for _, field in ipairs(VIEW_FIELDS) do
    if h[field] then view[field] = h[field] end
  end
  published[#published + 1] = cjson.encode(view)
end

for i = 4, #ARGV, 11 do
  local k, src, raw, id, kind = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local offset = tonumber(raw) or 0
  local values = change(kind, i + 5)
  if not values then
    results[#results + 1] = -1
  else
    local user = load(k)
    if not fresh(user, src, offset, id) then
      -- Seen by id, or re-delivered: the mark still moves, so a later re-delivery is cheap.
      if src ~= '' and writer ~= 'rebuild' and above(user.hash, 'o@' .. src, offset) then
        set(user, 'o@' .. src, raw)
      end
      results[#results + 1] = 0
    else
      if kind == 'profile' then
        for field, value in pairs(values) do set(user, field, value) end
      else
        set(user, 'tokensIssued', tostring((tonumber(user.hash.tokensIssued) or 0) + 1))
        -- Latest wins whatever the arrival order (retries arrive late); ISO strings compare.
        local last = user.hash.lastTokenIssuedAt
        if not last or last < values then set(user, 'lastTokenIssuedAt', values) end
      end
      mark(user, src, offset, raw, id)
      if channel ~= '' then notify(user) end
      results[#results + 1] = 1
    end
  end
end

-- One write per user: its changed fields (false = remove the field).
for k, user in pairs(users) do
  local fields, removed = {}, {}
  for field in pairs(user.dirty) do
    local value = user.hash[field]
    if value == false then
      removed[#removed + 1] = field
    else
      fields[#fields + 1] = field
      fields[#fields + 1] = value
    end
  end
  if #fields > 0 then redis.call('HSET', KEYS[k], unpack(fields)) end
  if #removed > 0 then redis.call('HDEL', KEYS[k], unpack(removed)) end
end
for _, message in ipairs(published) do redis.call('PUBLISH', channel, message) end
return results
`;
