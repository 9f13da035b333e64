/**
 * Applies a batch of events to the users of one view, each user's changes atomically with the
 * marks that make them idempotent. One call takes its users one after another: it reads a user's
 * hash once, applies its changes in order in Lua, and writes them back in one HSET (a few for a
 * user with many changes in the call); a new user whose profile is its only change is written
 * in one HSET without the rest. Most of a call's time is this Lua, not Redis' commands
 * (docs/performance.md), so it makes no string or table per event it can make once.
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
local results, published = {}, {}

-- One user at a time: its key index, its hash as read and changed (h), its writes (HSET's
-- field-value pairs, w[1..wn]), the fields it removed, how many profiles it took, and its
-- notifications. The client sends a user's changes one after another (scriptCalls); a user met
-- again later is read again after its first writes: as correct, only slower, and a long value
-- replaced across the two stretches is written, which may end the hash's compact encoding
-- (lastValues). h and w serve every user of the call and keep the size they grew to: a table
-- made per user, and Lua's collection of it, cost more than the change itself. A constructor
-- sizes a table for the entries it names, here without values, so the first user does not grow
-- them a field at a time either: h for 12 named fields (16 slots, room for a source's offset
-- marks), w for 11 field-value pairs (a new user with more changes in the call writes 9 and
-- more; one whose profile is its only change is written by create, below).
local user, read, wn, removed, profiles = nil, nil, 0, nil, 0
local h = { id = nil, username = nil, email = nil, firstName = nil, lastName = nil,
  createdAt = nil, tokensIssued = nil, lastTokenIssuedAt = nil, l1 = nil, ['l#'] = nil,
  w1 = nil, ['w#'] = nil }
local w = { nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
  nil, nil, nil, nil, nil }

local function load(k)
  user, read = k, redis.call('HGETALL', KEYS[k])
  for i = 1, #read, 2 do h[read[i]] = read[i + 1] end
end

-- A write is appended, not merged: a field set twice is written twice and HSET keeps the last,
-- which costs less than tracking the fields changed (docs/performance.md). A removed field is
-- deleted after the writes, unless set again since.
local function set(field, value)
  h[field] = value
  w[wn + 1] = field
  w[wn + 2] = value
  wn = wn + 2
  if removed then removed[field] = nil end
end

local function remove(field)
  h[field] = nil
  if not removed then removed = {} end
  removed[field] = true
end

-- A window is a ring of fields <name>1..<name>WINDOW and its next slot in <name>#: short values
-- keep the hash in Redis' compact listpack encoding, which a 300-byte field would end. Field
-- names are made once per call: a string built per event costs more than the lookup.
local RING, NEXT, SLOT = { l = {}, w = {} }, { l = 'l#', w = 'w#' }, {}
for slot = 1, window do SLOT[slot] = tostring(slot) end
for name, fields in pairs(RING) do
  for slot = 1, window do fields[slot] = name .. slot end
end

local function seen(name, id)
  if not h[NEXT[name]] then return false end
  local fields = RING[name]
  for slot = 1, window do
    if h[fields[slot]] == id then return true end
  end
  return false
end

local function remember(name, id)
  local slot = (tonumber(h[NEXT[name]]) or 0) % window + 1
  set(RING[name][slot], id)
  set(NEXT[name], SLOT[slot])
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

local function above(field, offset)
  local mark = h[field]
  return not mark or offset > tonumber(mark)
end

-- Whether the change is new to this user, by the rules above. Every writer also leaves alone
-- what the other one applied: the live writer what a rebuild that ran ahead of it applied
-- (at or below r@), the rebuild what the live writer took on (from f@).
local function fresh(m, offset, id)
  if seen('w', id) or seen('l', id) then return false end
  if not m then return true end
  if not above(m.r, offset) then return false end
  if writer == 'rebuild' then
    local first = h[m.f]
    return not (first and offset >= tonumber(first))
  end
  return above(m.o, offset)
end

-- Offsets are stored as they came (Lua would print a large number rounded); compared as numbers.
local function mark(m, offset, raw, id)
  if not m then return remember('w', id) end
  local field = writer == 'rebuild' and m.r or m.o
  if writer == 'live-beside-rebuild' and h[m.f] == nil then set(m.f, raw) end
  if above(field, offset) then set(field, raw) end
  remember('l', id)
end

-- A name is '' when absent, '=' followed by the name when present (which may be empty). An
-- absent name removes the field, if there is one.
local function setName(field, value)
  if value ~= '' then return set(field, string.sub(value, 2)) end
  if h[field] then remove(field) end
end

local function apply(kind, v1, v2, v3, v4, v5, v6)
  if kind == 'profile' then
    profiles = profiles + 1
    set('id', v1)
    set('username', v2)
    set('email', v3)
    set('createdAt', v4)
    setName('firstName', v5)
    setName('lastName', v6)
  else
    set('tokensIssued', tostring((tonumber(h.tokensIssued) or 0) + 1))
    -- Latest wins whatever the arrival order (retries arrive late); ISO strings compare.
    local last = h.lastTokenIssuedAt
    if not last or last < v1 then set('lastTokenIssuedAt', v1) end
  end
end

-- Published once the user's changes are written (flush): a change is announced only once it is
-- written, and every change written is announced, even if a later user's fails the call.
local function notify()
  if not h.username then return end
  local view = {}
  for _, field in ipairs(VIEW_FIELDS) do
    if h[field] then view[field] = h[field] end
  end
  published[#published + 1] = cjson.encode(view)
end

-- The writes without the values replaced since: a replaced value longer than
-- hash-max-listpack-value (64 bytes) would turn the hash into a hashtable. Only a profile
-- carries such values, so only a user with two profiles comes here.
local function lastValues()
  local kept = {}
  for i = 1, wn, 2 do
    local field, value = w[i], w[i + 1]
    if h[field] == value then
      kept[#kept + 1] = field
      kept[#kept + 1] = value
    end
  end
  return kept
end

-- The user's writes, its removals, then its notifications; h emptied for the next user. A call
-- that fails at a later user (a key of another type, say) keeps what it wrote before, and the
-- retried batch counts those changes as applied before. Written in parts of 32 fields: Lua's
-- unpack takes a few thousand values at most, and from Redis 7.2 (and on Valkey) one HSET naming
-- more fields than hash-max-listpack-entries (512 by default), duplicates counted, turns the
-- hash into a hashtable: several times the memory, until a restart reloads it.
local PART = 64
local function flush()
  if not user then return end
  local key, list, count = KEYS[user], w, wn
  if profiles > 1 then
    list = lastValues()
    count = #list
  end
  for first = 1, count, PART do
    redis.call('HSET', key, unpack(list, first, math.min(first + PART - 1, count)))
  end
  if removed then
    local fields = {}
    for field in pairs(removed) do fields[#fields + 1] = field end
    if #fields > 0 then redis.call('HDEL', key, unpack(fields)) end
  end
  if published[1] then
    for i = 1, #published do redis.call('PUBLISH', channel, published[i]) end
    published = {}
  end
  for i = 1, #read, 2 do h[read[i]] = nil end
  for i = 1, wn, 2 do h[w[i]] = nil end
  user, read, wn, removed, profiles = nil, nil, 0, nil, 0
end

-- One change's 11 values and the position after them: struct reads each length and its bytes.
local CHANGE = '>' .. string.rep('I4c0', 11)
local changes = ARGV[4]
local n, at, size = 0, 1, #changes

-- Whether the change before \`from\` is its user's last in this call: the next one, if any,
-- names another key index (a user's changes come one after another).
local function last(from, ki)
  return from > size or struct.unpack('>I4c0', changes, from) ~= ki
end

-- A new user's profile, its only change in the call: nothing to read, nothing seen before, so
-- one HSET of what apply and mark would write, in their order. Most of a call's changes are
-- this in a catch-up of new users, where the general way cost Redis about 2 µs more a change
-- (docs/performance.md). Not while someone listens: a notification is built the general way.
local created, cn = {}, 0
local function put(field, value)
  created[cn + 1] = field
  created[cn + 2] = value
  cn = cn + 2
end

local function create(key, m, raw, id, v1, v2, v3, v4, v5, v6)
  cn = 0
  put('id', v1)
  put('username', v2)
  put('email', v3)
  put('createdAt', v4)
  if v5 ~= '' then put('firstName', string.sub(v5, 2)) end
  if v6 ~= '' then put('lastName', string.sub(v6, 2)) end
  local ring = 'w'
  if m then
    if writer == 'live-beside-rebuild' then put(m.f, raw) end
    put(writer == 'rebuild' and m.r or m.o, raw)
    ring = 'l'
  end
  put(RING[ring][1], id)
  put(NEXT[ring], SLOT[1])
  redis.call('HSET', key, unpack(created, 1, cn))
end

-- One change to its user: 1 applied, 0 applied before. \`at\` is already past it.
local function applyChange(ki, k, m, raw, id, kind, v1, v2, v3, v4, v5, v6)
  if k ~= user then
    flush()
    if kind == 'profile' and channel == '' and last(at, ki)
      and redis.call('EXISTS', KEYS[k]) == 0 then
      create(KEYS[k], m, raw, id, v1, v2, v3, v4, v5, v6)
      return 1
    end
    load(k)
  end
  local offset = tonumber(raw) or 0
  if not fresh(m, offset, id) then
    -- Seen by id, or re-delivered: the mark still moves, so a later re-delivery is cheap.
    if m and writer ~= 'rebuild' and above(m.o, offset) then set(m.o, raw) end
    return 0
  end
  apply(kind, v1, v2, v3, v4, v5, v6)
  mark(m, offset, raw, id)
  if channel ~= '' then notify() end
  return 1
end

while at <= size do
  local ki, src, raw, id, kind, v1, v2, v3, v4, v5, v6, nextAt = struct.unpack(CHANGE, changes, at)
  at = nextAt
  local result = -1
  if known(kind, v1, v2, v3, v4) then
    local k = assert(tonumber(ki), 'a change without its key index')
    local m = src ~= '' and marksOf(src) or nil
    result = applyChange(ki, k, m, raw, id, kind, v1, v2, v3, v4, v5, v6)
  end
  n = n + 1
  results[n] = result
end
flush()
return results
`;
