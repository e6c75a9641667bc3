-- wrk script: every request is a sign-up with a unique e-mail address.
-- Reads SIGNUP_PATH, SIGNUP_COOKIE and SIGNUP_CSRF from the environment (set by run.py).
local counter = 0
local thread_number = 0
local threads = {}

function setup(thread)
  thread:set("thread_number", thread_number)
  thread_number = thread_number + 1
  table.insert(threads, thread)
end

function init(args)
  path = os.getenv("SIGNUP_PATH")
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = os.getenv("SIGNUP_COOKIE"),
  }
  csrf = os.getenv("SIGNUP_CSRF")
end

function request()
  counter = counter + 1
  local who = thread_number .. "-" .. counter
  local body = "csrf_token=" .. csrf .. "&name=Deelnemer+" .. who .. "&email=bench-" .. who .. "%40example.org"
  return wrk.format("POST", path, headers, body)
end
