"""The orders a frontend depends on, through jupyter_client, for both
installed fsc kernelspecs: busy and idle around interrupts (also one that
comes as its cell ends), the namespace after an interrupt, stop_on_error
with requests sent back to back, and iopub shedding output for a
frontend that does not read, with a notice and the final idle.

Run by kernel/jupyter_test.go with Debian's python3:
    JUPYTER_DATA_DIR=... /usr/bin/python3 -m unittest -v ordering
"""

import os
import time
import unittest

import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

TIMEOUT = 30


class Ordering:
    kernel_name = None
    samples = {}

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def setUp(self):
        # Nothing of an earlier test may be left on iopub.
        self.reply(self.kc.execute(self.samples["set"]))
        self.until_idle(self.last)

    def reply(self, msg_id, timeout=TIMEOUT):
        self.last = msg_id
        while True:
            r = self.kc.get_shell_msg(timeout=timeout)
            if r["parent_header"].get("msg_id") == msg_id:
                return r["content"]

    def until_idle(self, msg_id, first=None):
        """Every iopub message up to the idle of msg_id, whatever its
        parent, in the order received."""
        got = [first] if first else []
        while not got or not is_status(got[-1], "idle", msg_id):
            got.append(self.kc.get_iopub_msg(timeout=TIMEOUT))
        return got

    def interrupt(self):
        """interrupt_request on control; returns once it is answered."""
        msg = self.kc.session.msg("interrupt_request", {})
        self.kc.control_channel.send(msg)
        while True:
            r = self.kc.get_control_msg(timeout=TIMEOUT)
            if r["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                self.assertEqual(r["content"]["status"], "ok")
                return

    def check_probe(self):
        """x is still 5, and the probe's first iopub message is its busy
        (or the busy of a status pair before it), statuses well nested."""
        probe = self.kc.execute(self.samples["print"])
        first = self.kc.get_iopub_msg(timeout=TIMEOUT)
        self.assertEqual(first["msg_type"], "status", first)
        self.assertEqual(first["content"]["execution_state"], "busy", first)
        got = self.until_idle(probe, first)
        check_nesting(self, got)
        text = "".join(m["content"]["text"] for m in got if m["msg_type"] == "stream" and parent(m) == probe)
        self.assertEqual(text, "5\n", [(m["msg_type"], m["content"]) for m in got])
        self.assertEqual(self.reply(probe)["status"], "ok")

    def test_interrupt_then_busy_first(self):
        for _ in range(3):
            runaway = self.kc.execute(self.samples["runaway"])
            seen = []
            while not any(m["msg_type"] == "execute_input" and parent(m) == runaway for m in seen):
                seen.append(self.kc.get_iopub_msg(timeout=TIMEOUT))
            time.sleep(0.2)
            self.km.interrupt_kernel()  # as a frontend does: not waiting for the reply
            content = self.reply(runaway)
            self.assertEqual((content["status"], content.get("ename")), ("error", self.samples["interrupted"]), content)
            check_nesting(self, seen + self.until_idle(runaway))
            self.check_probe()

    def test_interrupt_as_cell_ends(self):
        for i in range(12):
            brief = self.kc.execute(self.samples["brief"])
            time.sleep(0.01 * i)
            self.interrupt()
            content = self.reply(brief)
            self.assertIn((content["status"], content.get("ename")), [("ok", None), ("error", self.samples["interrupted"])], content)
            check_nesting(self, self.until_idle(brief))
            self.check_probe()

    def test_long_builtin_stops_for_good(self):
        """A cell inside one long builtin call ignores the interrupt: the
        cell ends as interrupted, says its session restarted, and nothing
        of the kernel keeps computing it."""
        cell = self.kc.execute(self.samples["builtin"])
        seen = []
        while not any(m["msg_type"] == "execute_input" and parent(m) == cell for m in seen):
            seen.append(self.kc.get_iopub_msg(timeout=TIMEOUT))
        time.sleep(0.3)
        self.km.interrupt_kernel()
        content = self.reply(cell)
        self.assertEqual((content["status"], content.get("ename")), ("error", self.samples["interrupted"]), content)
        got = seen + self.until_idle(cell)
        check_nesting(self, got)
        text = "".join(m["content"]["text"] for m in got if m["msg_type"] == "stream" and parent(m) == cell)
        self.assertIn("restarted", text)
        pid = self.km.provisioner.process.pid
        deadline = time.monotonic() + TIMEOUT
        while busy_ticks(pid) > 50:  # of 100 a second: no process of the kernel burns a core
            self.assertLess(time.monotonic(), deadline, "the abandoned builtin still runs")
        self.reply(self.kc.execute(self.samples["set"]))
        self.until_idle(self.last)
        self.check_probe()

    def test_stop_on_error_back_to_back(self):
        for _ in range(5):
            failing = self.kc.execute(self.samples["error"])
            queued = [self.kc.execute(self.samples["hello"]) for _ in range(3)]
            self.assertEqual(self.reply(failing)["status"], "error")
            for q in queued:
                self.assertEqual(self.reply(q)["status"], "aborted")
            got = self.until_idle(queued[-1])
            self.assertFalse([m for m in got if m["msg_type"] == "stream"], "an aborted cell ran")
            after = self.kc.execute(self.samples["hello"])
            self.assertEqual(self.reply(after)["status"], "ok")
            self.until_idle(after)

    def test_iopub_sheds_for_a_frontend_that_does_not_read(self):
        # A second frontend connects to iopub and reads nothing for a while.
        ctx = zmq.Context.instance()
        stalled = ctx.socket(zmq.SUB)
        stalled.setsockopt(zmq.RCVHWM, 1)
        stalled.setsockopt(zmq.RCVBUF, 1 << 16)
        stalled.setsockopt(zmq.SUBSCRIBE, b"")
        stalled.connect("tcp://%s:%d" % (self.km.ip, self.km.iopub_port))
        session = Session(key=self.kc.session.key, signature_scheme=self.kc.session.signature_scheme)
        try:
            # The stalled frontend is subscribed once it sees a cell's idle
            # (a subscriber that joins late misses what came before, as
            # ZeroMQ's PUB does); then it stops reading.
            while True:
                ready = self.kc.execute(self.samples["hello"])
                self.reply(ready)
                self.until_idle(ready)
                if read_until_idle(stalled, session, ready, 2.0):
                    break
            cell = self.kc.execute(self.samples["flood"])
            self.assertEqual(self.reply(cell)["status"], "ok")
            got = self.until_idle(cell)
            shown, shed = count_shown(self, got, cell)
            self.assertEqual(shown + shed, 50, "displays shown plus those the notice counts")
            rss = kernel_rss(self.km)
            self.assertLess(rss, 400 << 20, "kernel RSS after 50 MB of displays")
            # Now the stalled frontend reads: it lost output, is told so,
            # and gets the cell's final idle.
            msgs = read_until_idle(stalled, session, cell, TIMEOUT)
            self.assertTrue(msgs and is_status(msgs[-1], "idle", cell), "the stalled frontend got no final idle")
            shown, shed = count_shown(self, msgs, cell)
            self.assertGreater(shed, 0)
            self.assertEqual(shown + shed, 50)
        finally:
            stalled.close(linger=0)


def read_until_idle(sock, session, msg_id, timeout):
    """The messages sock receives up to the idle of msg_id, or [] when that
    idle does not come within timeout seconds."""
    msgs = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sock.poll(max(1, int((deadline - time.monotonic()) * 1000))):
            break
        m = session.deserialize(session.feed_identities(sock.recv_multipart())[1])
        msgs.append(m)
        if is_status(m, "idle", msg_id):
            return msgs
    return []


def parent(m):
    return m["parent_header"].get("msg_id")


def is_status(m, state, msg_id):
    return m["msg_type"] == "status" and m["content"]["execution_state"] == state and parent(m) == msg_id


def check_nesting(test, msgs):
    """Status messages come as busy/idle pairs of one parent, nested."""
    open_ = []
    for m in msgs:
        if m["msg_type"] != "status":
            continue
        if m["content"]["execution_state"] == "busy":
            open_.append(parent(m))
        else:
            test.assertTrue(open_, "a stray idle: %s" % [(x["msg_type"], x["content"], parent(x)) for x in msgs])
            test.assertEqual(open_.pop(), parent(m), "idle of another request than the last busy")


def count_shown(test, msgs, cell):
    shown = sum(1 for m in msgs if m["msg_type"] == "display_data" and parent(m) == cell)
    notices = [m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and "were not sent" in m["content"]["text"]]
    shed = 0
    for n in notices:
        shed += int(n.split("fsc-kernel: ")[1].split(" ")[0])
    return shown, shed


def busy_ticks(pid):
    """CPU ticks the process pid and its children use over one second."""
    def ticks():
        total = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(d) == pid or int(fields[1]) == pid:  # fields[1] is the parent's pid
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total
    before = ticks()
    time.sleep(1)
    return ticks() - before


def kernel_rss(km):
    pid = km.provisioner.process.pid
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PythonOrdering(Ordering, unittest.TestCase):
    kernel_name = "fsc"
    samples = {
        "set": "x = 5",
        "print": "print(x)",
        "runaway": "while True:\n    pass",
        "brief": "import time\ntime.sleep(0.03)",
        "error": 'raise ValueError("boom")',
        "hello": "print('hello, world')",
        "flood": 'for i in range(50):\n    fsc.display(fsc.html("x" * 1000000))',
        "builtin": "y = 7 ** (10 ** 8)",
        "interrupted": "KeyboardInterrupt",
    }


class LuaOrdering(Ordering, unittest.TestCase):
    kernel_name = "fsc-lua"
    samples = {
        "set": "x = 5",
        "print": "print(x)",
        "runaway": "while true do end",
        "brief": "local t = os.clock() while os.clock() - t < 0.03 do end",
        "error": 'error("boom")',
        "hello": "print('hello, world')",
        "flood": 'for i = 1, 50 do fsc.display(fsc.html(string.rep("x", 1000000))) end',
        "builtin": 'string.find(string.rep("a", 60), "(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)b")',
        "interrupted": "interrupted",
    }


if __name__ == "__main__":
    unittest.main()
