# bin/kafka-console-producer.sh on a terminal: waits for each ">" prompt before typing the next
# line, then ends the input with Ctrl-D ("eof") or Ctrl-C ("interrupt"). Prints what the terminal
# showed (carriage returns dropped) and, on the last line, the exit status.
#   console_producer_tty.py eof|interrupt BOOTSTRAP TOPIC LINE...
import os
import pty
import select
import sys
import time

mode, bootstrap, topic, lines = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin", "kafka-console-producer.sh")
pid, fd = pty.fork()
if pid == 0:
    os.execv(script, [script, "--topic", topic, "--bootstrap-server", bootstrap])

shown = b""
deadline = time.monotonic() + 60


def read_until(done):
    global shown
    while not done():
        if time.monotonic() > deadline:
            sys.exit("timed out; the terminal showed %r" % shown)
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            shown += chunk


for i, line in enumerate(lines):
    read_until(lambda: shown.count(b">") > i)
    os.write(fd, line.encode() + b"\n")
read_until(lambda: shown.count(b">") > len(lines))
os.write(fd, b"\x04" if mode == "eof" else b"\x03")
read_until(lambda: False)
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace").replace("\r", ""))
sys.stdout.write("\nexit %d\n" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1))
