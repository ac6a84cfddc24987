-- wrk script: recording load on `ansinh serve`. Each request is POST /v1/events with one
-- import line (JSON Lines), a 1.000 đ DonationReceived from an organisation, under a
-- fresh random event id, so that every request appends one event.
--
--   export ANSINH_TOKEN=ansinh_…            # ansinh users add bench --role clerk --fund vi-nguoi-ngheo
--   export ANSINH_FUND=vi-nguoi-ngheo       # the default
--   export ANSINH_DATE=2024-06-01           # receivedOn; default today in Asia/Ho_Chi_Minh
--   wrk -t2 -c64 -d30s --latency -s tools/bench/wrk/post-donation.lua http://127.0.0.1:8080
--
-- The fund must be open on that date, in a period not closed, and the token's user a
-- clerk of that fund or a treasurer. ansinh holds each token to 100 requests a second
-- (bursts of 400) and answers 429 above that: for a benchmark, start the server with
-- `ansinh serve --user-rate 1000000 --user-burst 1000000`.
--
-- Any answer other than 201 Created is counted by status, per thread, and printed at the
-- end with the first such answer's body. Works with wrk 4.1 (LuaJIT, Lua 5.1).

local token = os.getenv("ANSINH_TOKEN")
if token == nil or token == "" then
   io.stderr:write("post-donation.lua: set ANSINH_TOKEN to a clerk's or treasurer's token (ansinh users add)\n")
   os.exit(1)
end
local fund = os.getenv("ANSINH_FUND")
if fund == nil or fund == "" then fund = "vi-nguoi-ngheo" end
-- Today in the ward's calendar: Asia/Ho_Chi_Minh is UTC+7 all year round.
local receivedOn = os.getenv("ANSINH_DATE")
if receivedOn == nil or receivedOn == "" then receivedOn = os.date("!%Y-%m-%d", os.time() + 7 * 3600) end

wrk.method = "POST"
wrk.path = "/v1/events"
wrk.headers["Content-Type"] = "application/x-ndjson"
wrk.headers["Authorization"] = "Bearer " .. token

-- The line, but for its event id; the fund id and date are plain ASCII, given by whoever runs it.
local linePrefix = '{"type":"DonationReceived","data":{"fundId":"' .. fund
   .. '","donor":{"name":"Hội Doanh nhân trẻ phường Núi Sam","kind":"organisation"}'
   .. ',"amount":1000,"receivedOn":"' .. receivedOn .. '"},"eventId":"'
local lineSuffix = '"}\n'

local random = math.random
local format = string.format

-- A random UUID, version 4 (RFC 9562 §5.4): 122 random bits, the version nibble 4 and the
-- variant bits 10.
local function uuid4()
   return format("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x",
      random(0, 0xffff), random(0, 0xffff), random(0, 0xffff), random(0, 0x0fff),
      random(0, 0x3fff) + 0x8000, random(0, 0xffff), random(0, 0xffff), random(0, 0xffff))
end

-- In the main Lua state: give each thread a number, and keep the threads for done().
local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("threadNumber", #threads)
end

-- In each thread's own Lua state, once.
failures = {}   -- status → count; read by done() through thread:get
samples = {}    -- status → the first body answered with it

function init(args)
   -- Each thread seeds its generator differently: its number, and bytes from the
   -- kernel, so that runs started in the same second do not repeat each other's ids.
   local seed = os.time() % 1099511627776 + os.clock() * 1000000
   local urandom = io.open("/dev/urandom", "rb")
   if urandom then
      local bytes = urandom:read(5)
      urandom:close()
      seed = 0
      for i = 1, #bytes do seed = seed * 256 + bytes:byte(i) end   -- < 2^40
   end
   seed = seed % 1099511627776 + (threadNumber or 0) * 1099511627776   -- exact below 2^53
   math.randomseed(seed)
end

function request()
   return wrk.format(nil, nil, nil, linePrefix .. uuid4() .. lineSuffix)
end

function response(status, headers, body)
   if status ~= 201 then
      failures[status] = (failures[status] or 0) + 1
      if samples[status] == nil then samples[status] = body or "" end
   end
end

function done(summary, latency, requests)
   local total = {}
   local sample = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("failures") or {}
      local bodies = thread:get("samples") or {}
      local line = {}
      for status, count in pairs(counts) do
         line[#line + 1] = format("%d: %d", status, count)
         total[status] = (total[status] or 0) + count
         if sample[status] == nil then sample[status] = bodies[status] end
      end
      table.sort(line)
      io.write(format("thread %d: %s\n", thread:get("threadNumber"),
         #line > 0 and "not 201: " .. table.concat(line, ", ") or "every answer 201"))
   end
   local statuses = {}
   for status in pairs(total) do statuses[#statuses + 1] = status end
   table.sort(statuses)
   for _, status in ipairs(statuses) do
      io.write(format("status %d: %d requests, first answer: %s\n", status, total[status],
         (sample[status] or ""):gsub("%s*\n%s*", " "):sub(1, 300)))
   end
end
