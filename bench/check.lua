-- wrk script of bench/run: sends a traffic mix and checks every answer, so a fast wrong answer
-- cannot pass as throughput.
--
-- BENCH_MIX is a Lua file (written by bench/run) returning
--   prefixes: request lines + headers, one per buyer (picked uniformly per request),
--   parts: `Content-Length` + blank line + body, one per key,
--   cdf: cumulative Zipf weights over parts (empty: uniform over parts).
-- BENCH_FILL_KEYS / BENCH_FILL_BODY instead send BENCH_FILL_BODY with `@KEY@` replaced by each
-- line of the keys file once, split over the threads; each thread then writes
-- `<keys file>.done.<thread>` and stops (bench/run's cache fill sends wrk SIGINT once all have).
--
-- A failure is an answer that is not HTTP 200, has "errors", has no "data", or — when
-- BENCH_FIELD names an extension field (live_stock, contract_price) — has fewer of them than
-- items, or more than BENCH_MAX_NULLS of them null. Answers with `x-cache: HIT` are counted.
local field = os.getenv("BENCH_FIELD") or ""
local max_nulls = tonumber(os.getenv("BENCH_MAX_NULLS") or "0")
local present = '"' .. field .. '":{'
local null = '"' .. field .. '":null'

local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local prefixes, parts, cdf, fill_prefix, fill_keys, fill_at, fill_step

function init(args)
  math.randomseed(os.time() * 100 + (id or 0))
  local keys_file = os.getenv("BENCH_FILL_KEYS")
  if keys_file and keys_file ~= "" then
    local template = os.getenv("BENCH_FILL_BODY")
    fill_prefix = os.getenv("BENCH_FILL_PREFIX")
    fill_keys = {}
    local at = template:find("@KEY@", 1, true)
    local before, after = template:sub(1, at - 1), template:sub(at + 5)
    for key in io.lines(keys_file) do
      local text = before .. key .. after
      table.insert(fill_keys, "Content-Length: " .. #text .. "\r\n\r\n" .. text)
    end
    fill_at, fill_step = id, tonumber(os.getenv("BENCH_THREADS") or "1")
    return
  end
  local mix = dofile(os.getenv("BENCH_MIX"))
  prefixes, parts, cdf = mix.prefixes, mix.parts, mix.cdf
end

local function pick()
  if #cdf == 0 then
    return math.random(#parts)
  end
  local value, lo, hi = math.random(), 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < value then
      lo = mid + 1
    else
      hi = mid
    end
  end
  return lo
end

function request()
  if fill_keys then
    local part = fill_keys[fill_at]
    if not part then
      -- Every key sent: tell bench/run (it interrupts wrk once all threads are done) and stop.
      local marker = io.open(os.getenv("BENCH_FILL_KEYS") .. ".done." .. id, "w")
      if marker then
        marker:close()
      end
      wrk.thread:stop()
      part = fill_keys[1]
    end
    fill_at = fill_at + fill_step
    return fill_prefix .. part
  end
  local prefix = prefixes[1]
  if #prefixes > 1 then
    prefix = prefixes[math.random(#prefixes)]
  end
  return prefix .. parts[pick()]
end

local function count(body, needle)
  local found, from = 0, 1
  while true do
    local at = body:find(needle, from, true)
    if not at then
      return found
    end
    found, from = found + 1, at + #needle
  end
end

failures, hits = 0, 0
local reported = false

function response(status, headers, body)
  if headers["x-cache"] == "HIT" or headers["X-Cache"] == "HIT" then
    hits = hits + 1
  end
  local why = nil
  if status ~= 200 then
    why = "HTTP " .. status
  elseif body:find('"errors"', 1, true) then
    why = "errors"
  elseif not body:find('"data":{', 1, true) then
    why = "no data"
  elseif field ~= "" then
    local items = count(body, '"__typename":"')
    local ok, nulls = count(body, present), count(body, null)
    if ok + nulls < items or nulls > max_nulls or (items > 0 and ok == 0) then
      why = string.format("%d items, %d %s objects, %d null", items, ok, field, nulls)
    end
  end
  if why then
    failures = failures + 1
    if not reported then
      reported = true
      local at = body:find('"errors"', 1, true) or body:find(null, 1, true) or 1
      io.stderr:write(string.format("first failure (%s): %s\n", why, body:sub(math.max(1, at - 200), at + 400)))
    end
  end
end

function done(summary, latency, requests)
  local failed, hit = 0, 0
  for _, t in ipairs(threads) do
    failed = failed + t:get("failures")
    hit = hit + t:get("hits")
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_us=%d failures=%d socket_errors=%d status_errors=%d "
    .. "hits=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, failed, socket, summary.errors.status, hit,
    latency:percentile(50), latency:percentile(99)))
end
