-- wrk script for bench/ingest_bench.py: replays pre-built HTTP requests and reports one JSON line.
--
-- Each wrk thread reads its own file of complete requests (written by ingest_bench.py, each preceded by its
-- length on a line of its own), so threads never send the same event id, and sends them in turn: building a
-- request costs nothing here, which keeps the load generator's CPU small beside the server's.
--
--     wrk -t T -c C -d S -s bench/ingest_wrk.lua http://127.0.0.1:PORT -- REQUEST_FILE_PREFIX

local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local requests = {}
local next_request = 1

function init(args)
   local file = assert(io.open(args[1] .. "-" .. index, "rb"))
   local data = file:read("*a")
   file:close()
   local position = 1
   while position <= #data do
      local newline = string.find(data, "\n", position, true)
      local length = tonumber(string.sub(data, position, newline - 1))
      table.insert(requests, string.sub(data, newline + 1, newline + length))
      position = newline + length + 1
   end
   available = #requests
end

function request()
   local chosen = requests[next_request]
   next_request = next_request % #requests + 1
   return chosen
end

function done(summary, latency, _requests)
   local errors = summary.errors
   local available = 0
   for _, thread in ipairs(threads) do
      available = available + thread:get("available")
   end
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
      '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "available": %d}\n',
      summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, available))
end
