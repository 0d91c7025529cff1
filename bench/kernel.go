package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// kernelFigures are what bench/jupyter.py measures of one kernelspec.
type kernelFigures struct {
	Kernel         string  `json:"kernel"`
	StartMS        float64 `json:"start_ms"`
	IdleRSSMB      float64 `json:"idle_rss_mb"`
	RoundtripP50MS float64 `json:"roundtrip_p50_ms"`
	RoundtripP90MS float64 `json:"roundtrip_p90_ms"`
	Cells          int     `json:"cells"`
	RSSGrowthMB    float64 `json:"rss_growth_mb"`
}

// kernel measures both Jupyter kernels through Debian's jupyter_client:
// execute round trip, start to first kernel_info_reply, idle RSS, and RSS
// growth over many cells. The kernelspecs are installed in a private
// Jupyter data directory.
func (b *bench) kernel(cells int) error {
	bin := filepath.Join(filepath.Dir(b.bin), "fsc-kernel")
	data, err := os.MkdirTemp(b.work, "jupyter-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	env := append(os.Environ(), "JUPYTER_DATA_DIR="+data, "JUPYTER_RUNTIME_DIR="+filepath.Join(data, "runtime"), "PYTHONDONTWRITEBYTECODE=1")
	install := exec.Command(bin, "install", "--user")
	install.Env = env
	if out, err := install.CombinedOutput(); err != nil {
		return fmt.Errorf("%s install: %v\n%s", bin, err, out)
	}
	cmd := exec.Command("/usr/bin/python3", "bench/jupyter.py", fmt.Sprint(b.runs*10), fmt.Sprint(cells))
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("bench/jupyter.py: %v\n%s", err, stderr.String())
	}
	const title = "The Jupyter kernel, through jupyter_client (issue 5)"
	head := []string{"what", "target", "measured"}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var f kernelFigures
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return fmt.Errorf("bench/jupyter.py printed %q: %v", sc.Text(), err)
		}
		b.add(title, head, fmt.Sprintf("%s: execute `1+1`, request to idle", f.Kernel), "p50 ≤ 2 ms",
			fmt.Sprintf("p50 %.2f ms, p90 %.2f ms", f.RoundtripP50MS, f.RoundtripP90MS))
		b.add(title, head, fmt.Sprintf("%s: process start to first kernel_info_reply", f.Kernel), "≤ 300 ms", fmt.Sprintf("%.0f ms", f.StartMS))
		b.add(title, head, fmt.Sprintf("%s: idle RSS", f.Kernel), "≤ 60 MB", fmt.Sprintf("%.1f MB", f.IdleRSSMB))
		b.add(title, head, fmt.Sprintf("%s: RSS growth over %d cells in one session", f.Kernel, f.Cells), "≤ 20 MB", fmt.Sprintf("%+.1f MB", f.RSSGrowthMB))
	}
	return sc.Err()
}
