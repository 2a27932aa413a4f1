-- wrk script: POSTs one GraphQL body and counts answers that are not a clean GraphQL success
-- (non-200, any "errors", or no "data"), so a fast wrong answer cannot pass as throughput.
-- BENCH_REQUIRE (optional) is a substring every answer must contain at least BENCH_REQUIRE_COUNT
-- times (default 1), e.g. `"live_stock":{` once per product, so a gateway answering nulls fails.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY")
for name, value in string.gmatch(os.getenv("BENCH_HEADERS") or "", "([^:\n]+):%s*([^\n]+)") do
  wrk.headers[name] = value
end
local required = os.getenv("BENCH_REQUIRE") or ""
local required_count = tonumber(os.getenv("BENCH_REQUIRE_COUNT") or "1")

local function count_required(body)
  local found, from = 0, 1
  while found < required_count do
    local at = body:find(required, from, true)
    if not at then
      break
    end
    found, from = found + 1, at + #required
  end
  return found
end

failures = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) or not body:find('"data":{', 1, true)
      or (required ~= "" and count_required(body) < required_count) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do
    failed = failed + t:get("failures")
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_us=%d failures=%d socket_errors=%d status_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, failed, socket, summary.errors.status,
    latency:percentile(50), latency:percentile(99)))
end
