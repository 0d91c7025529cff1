package kernel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Spec is one kernelspec this binary installs: its directory name, what
// Jupyter shows and the language its kernel speaks.
type Spec struct {
	Name, DisplayName, Language string
}

// Where says where kernelspecs go, as `jupyter kernelspec install` does:
// User (the default) is the user's Jupyter data directory, honouring
// JUPYTER_DATA_DIR; SysPrefix is the active Python environment's prefix;
// Prefix is a prefix given by the user. Each gets share/jupyter/kernels.
type Where struct {
	User      bool
	SysPrefix bool
	Prefix    string
}

// KernelsDir returns the kernels directory w names.
func (w Where) KernelsDir() (string, error) {
	switch {
	case w.Prefix != "":
		return filepath.Join(w.Prefix, "share", "jupyter", "kernels"), nil
	case w.SysPrefix:
		prefix, err := sysPrefix()
		if err != nil {
			return "", err
		}
		return filepath.Join(prefix, "share", "jupyter", "kernels"), nil
	}
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Join(d, "kernels"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("install: no home directory for --user (set JUPYTER_DATA_DIR or use --prefix): %w", err)
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Jupyter", "kernels"), nil
	}
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		data = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(data, "jupyter", "kernels"), nil
}

// sysPrefix is the prefix of the active Python environment: a virtualenv
// or conda environment when one is active, else the prefix of the python3
// on PATH.
func sysPrefix() (string, error) {
	for _, v := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if d := os.Getenv(v); d != "" {
			return d, nil
		}
	}
	out, err := exec.Command("python3", "-c", "import sys; print(sys.prefix)").Output()
	if err != nil {
		return "", fmt.Errorf("install --sys-prefix: cannot ask python3 for its prefix (%v); use --prefix DIR", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// kernelJSON is a kernelspec's kernel.json.
type kernelJSON struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata"`
}

// Install writes each of specs under w: kernel.json, which
// runs binary (made absolute) as `binary kernel --language L
// {connection_file}`, with FSC_NODE set to node when node is not empty,
// and the logos. It returns the directories written.
func Install(w Where, binary, node string, specs []Spec) ([]string, error) {
	bin, err := filepath.Abs(binary)
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() {
		return nil, fmt.Errorf("install: the kernel binary %s is not a file", bin)
	}
	root, err := w.KernelsDir()
	if err != nil {
		return nil, err
	}
	logos, err := logoFiles()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, s := range specs {
		k := kernelJSON{
			Argv:          []string{bin, "kernel", "--language", s.Language, "{connection_file}"},
			DisplayName:   s.DisplayName,
			Language:      s.Language,
			InterruptMode: "message",
			Metadata:      map[string]any{"debugger": false},
		}
		if node != "" {
			k.Env = map[string]string{"FSC_NODE": node}
		}
		spec, err := json.MarshalIndent(k, "", "  ")
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(root, s.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("install: %w", err)
		}
		files := map[string][]byte{"kernel.json": append(spec, '\n')}
		for name, b := range logos {
			files[name] = b
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return nil, fmt.Errorf("install: %w", err)
			}
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// logoFiles draws the logo, three members joined in a ring, as the PNG
// sizes Jupyter looks for and as SVG.
func logoFiles() (map[string][]byte, error) {
	out := map[string][]byte{"logo-svg.svg": []byte(logoSVG)}
	for _, n := range []int{32, 64} {
		var b bytes.Buffer
		if err := png.Encode(&b, drawLogo(n)); err != nil {
			return nil, err
		}
		out[fmt.Sprintf("logo-%dx%d.png", n, n)] = b.Bytes()
	}
	return out, nil
}

// logoDots are the members' centres and radius in a 64-unit square.
var logoDots = [][2]float64{{32, 14}, {14, 46}, {50, 46}}

const logoRadius = 10

var logoSVG = func() string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">`)
	b.WriteString(`<path d="M32 14 L14 46 L50 46 Z" fill="none" stroke="#3b6ea5" stroke-width="4"/>`)
	for _, d := range logoDots {
		fmt.Fprintf(&b, `<circle cx="%g" cy="%g" r="%d" fill="#e07a1f"/>`, d[0], d[1], logoRadius)
	}
	b.WriteString("</svg>\n")
	return b.String()
}()

// drawLogo draws the logo in an n×n image.
func drawLogo(n int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	scale := float64(n) / 64
	line, dot := color.NRGBA{0x3b, 0x6e, 0xa5, 0xff}, color.NRGBA{0xe0, 0x7a, 0x1f, 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			px, py := (float64(x)+0.5)/scale, (float64(y)+0.5)/scale
			for i, d := range logoDots {
				e := logoDots[(i+1)%len(logoDots)]
				if segmentDistance(px, py, d, e) <= 2 {
					img.Set(x, y, line)
				}
			}
			for _, d := range logoDots {
				if (px-d[0])*(px-d[0])+(py-d[1])*(py-d[1]) <= logoRadius*logoRadius {
					img.Set(x, y, dot)
				}
			}
		}
	}
	return img
}

// segmentDistance is the distance of (x, y) from the segment a-b.
func segmentDistance(x, y float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((x-a[0])*dx + (y-a[1])*dy) / (dx*dx + dy*dy)
	t = max(0, min(1, t))
	ex, ey := a[0]+t*dx-x, a[1]+t*dy-y
	return math.Sqrt(ex*ex + ey*ey)
}
