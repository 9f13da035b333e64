/**
 * Applies one event's change to one user of one view, atomically: the event id is checked and
 * marked in the same step as the change, so a duplicate delivery, a replay or a retry changes
 * nothing. When a notification channel is given and the user has a profile, the resulting view
 * is published on it (inside the script, so notifications leave in apply order).
 *
 * KEYS: 1 user hash, 2 applied-event-ids set, 3 users index
 * ARGV: 1 event id, 2 change kind, 3 notification channel ('' for none), 4 change as JSON
 * Returns 1 when applied, 0 for an event id already applied.
 */
export const APPLY_CHANGE_SCRIPT = `
local kind = ARGV[2]
-- Validate before marking: a script that fails half-way is not rolled back.
if kind ~= 'profile' and kind ~= 'token-issued' then
  return redis.error_reply('unknown change kind ' .. kind)
end
local change = cjson.decode(ARGV[4])
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end

if kind == 'profile' then
  local p = change.profile
  local member = p.createdAt .. '|' .. p.id
  local previous = redis.call('HGET', KEYS[1], 'indexMember')
  if previous and previous ~= member then redis.call('ZREM', KEYS[3], previous) end
  redis.call('HSET', KEYS[1], 'id', p.id, 'username', p.username, 'email', p.email,
    'createdAt', p.createdAt, 'indexMember', member)
  for _, field in ipairs({ 'firstName', 'lastName' }) do
    if p[field] == nil or p[field] == cjson.null then
      redis.call('HDEL', KEYS[1], field)
    else
      redis.call('HSET', KEYS[1], field, p[field])
    end
  end
  redis.call('ZADD', KEYS[3], 0, member)
else
  redis.call('HINCRBY', KEYS[1], 'tokensIssued', 1)
  local last = redis.call('HGET', KEYS[1], 'lastTokenIssuedAt')
  -- Latest wins whatever the arrival order (retries arrive late); ISO strings compare as instants.
  if not last or last < change.issuedAt then
    redis.call('HSET', KEYS[1], 'lastTokenIssuedAt', change.issuedAt)
  end
end

if ARGV[3] ~= '' and redis.call('HEXISTS', KEYS[1], 'username') == 1 then
  local flat = redis.call('HGETALL', KEYS[1])
  local view = {}
  for i = 1, #flat, 2 do view[flat[i]] = flat[i + 1] end
  view.indexMember = nil
  redis.call('PUBLISH', ARGV[3], cjson.encode(view))
end
return 1
`;
