package kernel

import "testing"

// BenchmarkExecuteRoundTrip measures an execute_request of 1+1 from the
// client until its status idle, through loopback ZeroMQ.
func BenchmarkExecuteRoundTrip(b *testing.B) {
	for _, lang := range []string{"lua", "python"} {
		b.Run(lang, func(b *testing.B) {
			tk := startKernel(b, lang, "bench-key")
			for b.Loop() {
				r, _ := tk.c.execute("1+1", nil)
				if r.Header.MsgType != "execute_reply" {
					b.Fatal(r.Header.MsgType)
				}
				tk.c.forget()
			}
		})
	}
}

// BenchmarkKernelInfoControl measures a kernel_info_request on control,
// from the client until its reply.
func BenchmarkKernelInfoControl(b *testing.B) {
	tk := startKernel(b, "lua", "bench-key")
	for b.Loop() {
		id := tk.c.send("control", "kernel_info_request", struct{}{})
		tk.c.reply("control", id)
		tk.c.forget()
	}
}
