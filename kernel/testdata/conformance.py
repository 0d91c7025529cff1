"""The Jupyter community's kernel conformance suite (jupyter_kernel_test)
against both installed fsc kernelspecs, with a sample for every one of its
tests, and interrupts through jupyter_client.

Run by kernel/jupyter_test.go with Debian's python3:
    JUPYTER_DATA_DIR=... /usr/bin/python3 -m unittest -v conformance
"""

import signal
import time
import unittest

import jupyter_kernel_test as jkt
from jupyter_client.manager import start_new_kernel


class Shared:
    """The samples both languages share: the fsc module is the same."""

    code_hello_world = 'print("hello, world")'
    code_page_something = "fsc.table?"
    code_display_data = [
        {"code": 'fsc.display(fsc.html("<b>hi</b>"))', "mime": "text/html"},
        {"code": 'fsc.display(fsc.markdown("*hi*"))', "mime": "text/markdown"},
    ]
    code_history_pattern = "1?2"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "fsc.table"
    code_clear_output = "fsc.clear_output()"


class FscPython(Shared, jkt.KernelTests):
    kernel_name = "fsc"
    language_name = "python"
    file_extension = ".py"

    code_stderr = 'import sys\nsys.stderr.write("oops\\n")'
    completion_samples = [
        {"text": "fsc.tab", "matches": {"table"}},
        {"text": "fsc.InputE", "matches": {"InputError"}},
        {"text": "fsc.Disc", "matches": {"DisclosureError"}},
    ]
    complete_code_samples = ["1", 'print("hello, world")', "x = [1,\n 2]", "def f(x):\n    return x\n\n"]
    incomplete_code_samples = ["for i in range(3):", "x = (1,", "def f(x):\n    y = x"]
    invalid_code_samples = ["x = )", "1 +* 2", "print('a'))"]
    code_generate_error = 'raise ValueError("boom")'
    code_execute_result = [
        {"code": "1+2", "result": "3"},
        {"code": "6 * 7", "result": "42"},
        {"code": "round(2.675, 2)", "result": "2.67"},
        {"code": "'{:.3f}'.format(3.14159)", "result": "'3.142'"},
        {"code": 'fsc.table("patients")', "result": "<fsc table patients>"},
    ]


class FscLua(Shared, jkt.KernelTests):
    kernel_name = "fsc-lua"
    language_name = "lua"
    file_extension = ".lua"

    code_stderr = 'io.stderr:write("oops\\n")'
    completion_samples = [
        {"text": "fsc.tab", "matches": {"table"}},
        {"text": "pri", "matches": {"print"}},
        {"text": "local t = fsc.table('p')\nt:medi", "matches": {"median"}},
    ]
    complete_code_samples = ["x = 1", 'print("hello, world")', "for i = 1, 2 do print(i) end"]
    incomplete_code_samples = ["for i = 1, 3 do", "function f(x)", "x = {1,"]
    invalid_code_samples = ["x = )", "x = = 1", "end end"]
    code_generate_error = 'error("boom")'
    code_execute_result = [
        {"code": "1+2", "result": "3"},
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" .. "b"', "result": "ab"},
        {"code": "1 < 2", "result": "true"},
        {"code": 'fsc.table("patients")', "result": "<fsc table patients>"},
    ]


class Interrupt(unittest.TestCase):
    """A runaway cell stops on interrupt_request (the kernelspec's
    interrupt_mode) and on SIGINT; the namespace survives and the kernel
    keeps answering."""

    samples = {
        "fsc": ("kept = 41", "while True:\n    pass", "kept + 1", "42", "KeyboardInterrupt"),
        "fsc-lua": ("kept = 41", "while true do end", "kept + 1", "42", "interrupted"),
    }

    def run_cell(self, kc, code, timeout=10):
        msg_id = kc.execute(code)
        while True:
            reply = kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def check(self, name, interrupt):
        setup, runaway, probe, want, interrupted = self.samples[name]
        km, kc = start_new_kernel(kernel_name=name)
        try:
            self.assertEqual(self.run_cell(kc, setup)["content"]["status"], "ok")
            for _ in range(2):
                msg_id = kc.execute(runaway)
                time.sleep(0.5)
                start = time.monotonic()
                interrupt(km)
                reply = kc.get_shell_msg(timeout=10)
                while reply["parent_header"].get("msg_id") != msg_id:
                    reply = kc.get_shell_msg(timeout=10)
                stopped = time.monotonic() - start
                self.assertEqual(reply["content"]["status"], "error")
                self.assertEqual(reply["content"]["ename"], interrupted)
                self.assertLess(stopped, 2.0)
            msg_id = kc.execute(probe)
            shown = []
            while True:
                msg = kc.get_iopub_msg(timeout=10)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
                shown.append((msg["msg_type"], msg["content"]))
            results = [c["data"]["text/plain"] for t, c in shown if t == "execute_result"]
            self.assertEqual(results, [want], shown)
            self.assertEqual(kc.get_shell_msg(timeout=10)["content"]["status"], "ok")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def test_interrupt_request_python(self):
        self.check("fsc", lambda km: km.interrupt_kernel())

    def test_interrupt_request_lua(self):
        self.check("fsc-lua", lambda km: km.interrupt_kernel())

    def test_sigint_python(self):
        self.check("fsc", lambda km: km.signal_kernel(signal.SIGINT))

    def test_sigint_lua(self):
        self.check("fsc-lua", lambda km: km.signal_kernel(signal.SIGINT))


if __name__ == "__main__":
    unittest.main()
