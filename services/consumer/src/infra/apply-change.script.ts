/**
 * Applies a batch of events to the users of one view, each user's changes atomically with the
 * marks that make them idempotent. One call reads each user's hash once, applies its changes in
 * order in Lua, and writes them back in one HSET (a few for a user with many changes in the
 * call). Most of a call's time is this Lua, not Redis' commands (docs/performance.md), so it
 * makes no string or table per event it can make once.
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
 * none), 3 WINDOW, 4 the changes, packed (`packChanges`): per change 11 values, each a 4-byte
 * big-endian length and its bytes: key index, source (`<topic>/<partition>`, '' for none),
 * offset, event id, kind, and 6 values of the change: token-issued's `issuedAt` (then 5 empty),
 * or the profile's id, username, email, createdAt, firstName, lastName (see `apply`).
 * One packed argument, not 11 per change: Redis makes an object of every argument it reads and
 * the client encodes each one, which cost more than unpacking them here (docs/performance.md).
 * Returns per change 1 applied, 0 already applied, -1 not a change this script knows.
 */
export const APPLY_CHANGES_SCRIPT = `
local writer, channel, window = ARGV[1], ARGV[2], tonumber(ARGV[3])
local VIEW_FIELDS = { 'id', 'username', 'email', 'firstName', 'lastName', 'createdAt',
  'tokensIssued', 'lastTokenIssuedAt' }
-- Per user key index: its hash as read and changed, its writes (HSET's field-value pairs), the
-- fields it removed, and how many profiles it took in this call.
local hashes, writes, removed, profiles, results = {}, {}, {}, {}, {}

-- A user's tables are made with room for what a change writes: grown a field at a time, Lua
-- rebuilt each of them several times per user (docs/performance.md, "A user's tables sized once").
-- A constructor sizes a table for the entries it names, here without values: the hash for 12
-- named fields (16 slots, room for a source's offset marks), the writes for 11 field-value pairs
-- (a new user writes 9).
local function load(k)
  local h = hashes[k]
  if h then return h end
  local flat = redis.call('HGETALL', KEYS[k])
  h = { id = nil, username = nil, email = nil, firstName = nil, lastName = nil, createdAt = nil,
    tokensIssued = nil, lastTokenIssuedAt = nil, l1 = nil, ['l#'] = nil, w1 = nil, ['w#'] = nil }
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  hashes[k] = h
  writes[k] = { nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
    nil, nil, nil, nil, nil, nil }
  return h
end

-- A write is appended, not merged: a field set twice is written twice and HSET keeps the last,
-- which costs less than tracking the fields changed (docs/performance.md). A removed field is
-- deleted after the writes, unless set again since.
local function set(k, h, field, value)
  h[field] = value
  local w = writes[k]
  local n = #w
  w[n + 1] = field
  w[n + 2] = value
  local r = removed[k]
  if r then r[field] = nil end
end

local function remove(k, h, field)
  h[field] = nil
  local r = removed[k]
  if not r then
    r = {}
    removed[k] = r
  end
  r[field] = true
end

-- A window is a ring of fields <name>1..<name>WINDOW and its next slot in <name>#: short values
-- keep the hash in Redis' compact listpack encoding, which a 300-byte field would end. Field
-- names are made once per call: a string built per event costs more than the lookup.
local RING, NEXT, SLOT = { l = {}, w = {} }, { l = 'l#', w = 'w#' }, {}
for slot = 1, window do SLOT[slot] = tostring(slot) end
for name, fields in pairs(RING) do
  for slot = 1, window do fields[slot] = name .. slot end
end

local function seen(h, name, id)
  if not h[NEXT[name]] then return false end
  local fields = RING[name]
  for slot = 1, window do
    if h[fields[slot]] == id then return true end
  end
  return false
end

local function remember(k, h, name, id)
  local slot = (tonumber(h[NEXT[name]]) or 0) % window + 1
  set(k, h, RING[name][slot], id)
  set(k, h, NEXT[name], SLOT[slot])
end

-- The mark fields of a source, made once per call for the same reason.
local MARKS = {}
local function marksOf(src)
  local m = MARKS[src]
  if not m then
    m = { o = 'o@' .. src, r = 'r@' .. src, f = 'f@' .. src }
    MARKS[src] = m
  end
  return m
end

-- Whether the change's values are complete. Values come packed, not as JSON: decoding JSON
-- costs more than the whole change.
local function known(kind, v1, v2, v3, v4)
  if kind == 'token-issued' then return v1 ~= '' end
  if kind ~= 'profile' then return false end
  return v1 ~= '' and v2 ~= '' and v3 ~= '' and v4 ~= ''
end

local function above(h, field, offset)
  local mark = h[field]
  return not mark or offset > tonumber(mark)
end

-- Whether the change is new to this user, by the rules above. Every writer also leaves alone
-- what the other one applied: the live writer what a rebuild that ran ahead of it applied
-- (at or below r@), the rebuild what the live writer took on (from f@).
local function fresh(h, m, offset, id)
  if seen(h, 'w', id) or seen(h, 'l', id) then return false end
  if not m then return true end
  if not above(h, m.r, offset) then return false end
  if writer == 'rebuild' then
    local first = h[m.f]
    return not (first and offset >= tonumber(first))
  end
  return above(h, m.o, offset)
end

-- Offsets are stored as they came (Lua would print a large number rounded); compared as numbers.
local function mark(k, h, m, offset, raw, id)
  if not m then return remember(k, h, 'w', id) end
  local field = writer == 'rebuild' and m.r or m.o
  if writer == 'live-beside-rebuild' and h[m.f] == nil then set(k, h, m.f, raw) end
  if above(h, field, offset) then set(k, h, field, raw) end
  remember(k, h, 'l', id)
end

-- A name is '' when absent, '=' followed by the name when present (which may be empty). An
-- absent name removes the field, if there is one.
local function setName(k, h, field, value)
  if value ~= '' then return set(k, h, field, string.sub(value, 2)) end
  if h[field] then remove(k, h, field) end
end

local function apply(k, h, kind, v1, v2, v3, v4, v5, v6)
  if kind == 'profile' then
    profiles[k] = (profiles[k] or 0) + 1
    set(k, h, 'id', v1)
    set(k, h, 'username', v2)
    set(k, h, 'email', v3)
    set(k, h, 'createdAt', v4)
    setName(k, h, 'firstName', v5)
    setName(k, h, 'lastName', v6)
  else
    set(k, h, 'tokensIssued', tostring((tonumber(h.tokensIssued) or 0) + 1))
    -- Latest wins whatever the arrival order (retries arrive late); ISO strings compare.
    local last = h.lastTokenIssuedAt
    if not last or last < v1 then set(k, h, 'lastTokenIssuedAt', v1) end
  end
end

-- Published after the writes: a script that fails half-way has told nobody of a change it lost.
local published = {}
local function notify(h)
  if not h.username then return end
  local view = {}
  for _, field in ipairs(VIEW_FIELDS) do
    if h[field] then view[field] = h[field] end
  end
  published[#published + 1] = cjson.encode(view)
end

-- One change's 11 values and the position after them: struct reads each length and its bytes.
local CHANGE = '>' .. string.rep('I4c0', 11)
local changes = ARGV[4]
local n, at, size = 0, 1, #changes
while at <= size do
  local ki, src, raw, id, kind, v1, v2, v3, v4, v5, v6, nextAt = struct.unpack(CHANGE, changes, at)
  at = nextAt
  local k = tonumber(ki)
  local result = -1
  if known(kind, v1, v2, v3, v4) then
    local h = load(k)
    local m = src ~= '' and marksOf(src) or nil
    local offset = tonumber(raw) or 0
    if not fresh(h, m, offset, id) then
      -- Seen by id, or re-delivered: the mark still moves, so a later re-delivery is cheap.
      if m and writer ~= 'rebuild' and above(h, m.o, offset) then set(k, h, m.o, raw) end
      result = 0
    else
      apply(k, h, kind, v1, v2, v3, v4, v5, v6)
      mark(k, h, m, offset, raw, id)
      if channel ~= '' then notify(h) end
      result = 1
    end
  end
  n = n + 1
  results[n] = result
end

-- The pairs of a user whose values were replaced within the call, without the replaced ones:
-- a replaced value longer than hash-max-listpack-value (64 bytes) would turn the hash into a
-- hashtable. Only a profile carries such values, so only a user with two profiles comes here.
local function lastValues(h, w)
  local kept = {}
  for i = 1, #w, 2 do
    local field, value = w[i], w[i + 1]
    if h[field] == value then
      kept[#kept + 1] = field
      kept[#kept + 1] = value
    end
  end
  return kept
end

-- One write per user, then its removals. A user with many changes in a call is written in parts
-- of 32 fields: Lua's unpack takes a few thousand values at most, and from Redis 7.2 (and on
-- Valkey) one HSET naming more fields than hash-max-listpack-entries (512 by default),
-- duplicates counted, turns the hash into a hashtable: several times the memory, until a
-- restart reloads it.
local PART = 64
for k, w in pairs(writes) do
  if (profiles[k] or 0) > 1 then w = lastValues(hashes[k], w) end
  for first = 1, #w, PART do
    redis.call('HSET', KEYS[k], unpack(w, first, math.min(first + PART - 1, #w)))
  end
  local r = removed[k]
  if r then
    local fields = {}
    for field in pairs(r) do fields[#fields + 1] = field end
    if #fields > 0 then redis.call('HDEL', KEYS[k], unpack(fields)) end
  end
end
for _, message in ipairs(published) do redis.call('PUBLISH', channel, message) end
return results
`;
