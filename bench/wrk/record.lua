-- report.lua's report POSTs, each wrk thread stopping once it has its quota of answers.
-- Arguments: the quota per thread, a file each thread appends a line to when it stops, then
-- report.lua's (a path with "{slug}", the slugs). wrk itself waits for its -d duration, so
-- bench/record_day.py ends it (SIGINT, which prints the summary) once every thread wrote.
-- Requests in flight when a thread stops are not waited for: the server's own counter says
-- how many were accepted.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local report_init = init
local quota, answered, marker = 0, 0, nil

function init(args)
  quota = tonumber(args[1])
  marker = args[2]
  local rest = {}
  for i = 3, #args do rest[#rest + 1] = args[i] end
  report_init(rest)
end

function response(status, headers, body)
  answered = answered + 1
  if answered == quota then
    local out = io.open(marker, "a")
    out:write("stopped\n")
    out:close()
    wrk.thread:stop()
  end
end
