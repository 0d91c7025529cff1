package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// The tests in this file drive the kernel as Jupyter does: the fsc-kernel
// binary installed as kernelspecs, started by Debian's jupyter_client.

var nodeBin string

func TestMain(m *testing.M) { os.Exit(fedrun.RunTests(m, "..", &nodeBin)) }

// debPython is Debian's interpreter, which owns its Jupyter packages.
const debPython = "/usr/bin/python3"

var (
	kernelOnce sync.Once
	kernelBin  string
	kernelErr  error
)

// kernelBinary builds fsc-kernel once for the tests.
func kernelBinary(t *testing.T) string {
	t.Helper()
	kernelOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fsc-kernel-test-")
		if err != nil {
			kernelErr = err
			return
		}
		kernelBin, kernelErr = fedrun.Build(dir, "..", "fsc-kernel")
	})
	if kernelErr != nil {
		t.Fatal(kernelErr)
	}
	return kernelBin
}

// jupyterEnv installs the kernelspecs with `fsc-kernel install` into a
// fresh Jupyter data directory and returns the environment Jupyter runs
// in: that directory, a private runtime directory, and FSC_NODE.
func jupyterEnv(t *testing.T, node string) []string {
	t.Helper()
	if err := exec.Command(debPython, "-c", "import jupyter_client, jupyter_kernel_test, nbclient, nbconvert").Run(); err != nil {
		t.Fatalf("Debian's Jupyter packages are missing for %s (make test-deps installs them): %v", debPython, err)
	}
	bin := kernelBinary(t)
	data, runtime := t.TempDir(), t.TempDir()
	env := append(os.Environ(), "JUPYTER_DATA_DIR="+data, "JUPYTER_RUNTIME_DIR="+runtime, "JUPYTER_PLATFORM_DIRS=1", "FSC_NODE="+node,
		"PYTHONDONTWRITEBYTECODE=1")
	install := exec.Command(bin, "install", "--user")
	install.Env = env
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("fsc-kernel install: %v\n%s", err, out)
	}
	list := exec.Command("/usr/bin/jupyter", "kernelspec", "list", "--json")
	list.Env = env
	out, err := list.Output()
	if err != nil {
		t.Fatalf("jupyter kernelspec list: %v", err)
	}
	var specs struct {
		Kernelspecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
			Spec        struct {
				Argv          []string `json:"argv"`
				DisplayName   string   `json:"display_name"`
				Language      string   `json:"language"`
				InterruptMode string   `json:"interrupt_mode"`
			} `json:"spec"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(out, &specs); err != nil {
		t.Fatalf("jupyter kernelspec list: %v\n%s", err, out)
	}
	for _, s := range []Spec{
		{Name: "fsc", DisplayName: "FSC (Python)", Language: "python"},
		{Name: "fsc-lua", DisplayName: "FSC (Lua)", Language: "lua"},
	} {
		k, ok := specs.Kernelspecs[s.Name]
		if !ok {
			t.Fatalf("jupyter kernelspec list does not show %s: %s", s.Name, out)
		}
		if k.Spec.DisplayName != s.DisplayName || k.Spec.Language != s.Language || k.Spec.InterruptMode != "message" ||
			len(k.Spec.Argv) == 0 || k.Spec.Argv[0] != bin {
			t.Errorf("kernelspec %s: %+v", s.Name, k.Spec)
		}
		for _, logo := range []string{"logo-32x32.png", "logo-64x64.png", "logo-svg.svg"} {
			if _, err := os.Stat(filepath.Join(k.ResourceDir, logo)); err != nil {
				t.Errorf("kernelspec %s: %v", s.Name, err)
			}
		}
	}
	return env
}

// TestConformance runs the Jupyter community's conformance suite
// (jupyter_kernel_test) against both kernelspecs, and interrupts by
// message and by SIGINT. Every test must run and pass: none skipped.
func TestConformance(t *testing.T) {
	// jupyter_kernel_test 0.4.5 has 12 tests a kernelspec; 4 interrupts.
	runSuite(t, "conformance", 2*12+4)
}

// TestOrdering runs testdata/ordering.py through jupyter_client against
// both kernelspecs: busy and idle around interrupts, also one that comes
// as its cell ends; the namespace after an interrupt; stop_on_error with
// requests sent back to back; iopub shedding output for a frontend that
// does not read, with a notice, the final idle and a bounded kernel.
func TestOrdering(t *testing.T) {
	runSuite(t, "ordering", 2*4)
}

// runSuite runs the Python unittest module testdata/module.py with
// Debian's python3 against the installed kernelspecs; every test must run
// and pass, at least want of them.
func runSuite(t *testing.T, module string, want int) {
	env := jupyterEnv(t, "http://127.0.0.1:1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, debPython, "-m", "unittest", "-v", module)
	cmd.Dir = "testdata"
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", module, err, text)
	}
	if strings.Contains(text, "skipped") || !strings.Contains(text, "\nOK") {
		t.Fatalf("%s: every test must run and pass\n%s", module, text)
	}
	var ran int
	if m := regexp.MustCompile(`\nRan (\d+) tests? in`).FindStringSubmatch(text); m != nil {
		ran, _ = strconv.Atoi(m[1])
	}
	if ran < want {
		t.Errorf("%s ran %d tests, want at least %d\n%s", module, ran, want, text)
	}
}

// TestKernelspecInstallPlaces: --prefix and --node write where asked and
// carry the node URL in the kernel's environment.
func TestKernelspecInstallPlaces(t *testing.T) {
	bin := kernelBinary(t)
	prefix := t.TempDir()
	out, err := exec.Command(bin, "install", "--prefix", prefix, "--node", "http://10.0.0.5:15501").CombinedOutput()
	if err != nil {
		t.Fatalf("install --prefix: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(prefix, "share", "jupyter", "kernels", "fsc-lua", "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var k kernelJSON
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	if k.Env["FSC_NODE"] != "http://10.0.0.5:15501" || k.Language != "lua" || !slices.Equal(k.Argv[1:], []string{"kernel", "--language", "lua", "{connection_file}"}) {
		t.Errorf("kernel.json: %s", b)
	}
	if out, err := exec.Command(bin, "install", "--user", "--prefix", prefix).CombinedOutput(); err == nil {
		t.Errorf("install --user --prefix succeeded: %s", out)
	}
}

// TestNotebooks executes every notebook in notebooks/ with nbconvert
// against the example federation and checks the values they show against
// the plaintext on the pooled data.
func TestNotebooks(t *testing.T) {
	fed, err := fedrun.StartExample(nodeBin, "../examples/federation", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fed.Stop()
	all, err := fedrun.PooledExample("../examples/federation")
	if err != nil {
		t.Fatal(err)
	}
	env := jupyterEnv(t, fed.Nodes[0].URL)
	notebooks, _ := filepath.Glob("../notebooks/*.ipynb")
	if len(notebooks) < 3 {
		t.Fatalf("notebooks: %v", notebooks)
	}
	checks := notebookChecks(t, all)
	for _, path := range notebooks {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var others sync.WaitGroup
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer others.Wait()
			defer cancel()
			if filepath.Base(path) == "secure-sum.ipynb" {
				// The other two hospitals call with their own values.
				for i, values := range [][]float64{{5, 5}, {100}} {
					others.Add(1)
					go func() {
						defer others.Done()
						c := client.New(fed.Nodes[i+1].URL)
						_, err := c.Compute(ctx, client.Request{Microprotocol: "SecureSum", Data: values,
							Network: &client.Network{Nodes: fed.URLs(), UUID: "notebook-secure-sum", Myself: i + 1}})
						if err != nil && ctx.Err() == nil {
							t.Errorf("party %d: %v", i+1, err)
						}
					}()
				}
			}
			executed := executeNotebook(t, env, path)
			others.Wait()
			checked := 0
			for _, c := range executed {
				check, ok := checks[c.source]
				if !ok {
					t.Errorf("no check for the cell %q (outputs %v)", c.source, c.outputs)
					continue
				}
				if err := check(c.outputs); err != nil {
					t.Errorf("cell %q: %v\noutputs: %v", c.source, err, c.outputs)
				}
				checked++
			}
			if checked == 0 {
				t.Error("no cell checked")
			}
		})
	}
}

// cellOutput is what one executed code cell shows: its printed text and
// the MIME bundles of its results and displays.
type cellOutput struct {
	source  string
	outputs cellShown
}

type cellShown struct {
	text    string
	bundles []map[string]string
	errors  []string
}

// executeNotebook runs a notebook with nbconvert (which uses nbclient) and
// returns its code cells with their outputs.
func executeNotebook(t *testing.T, env []string, path string) []cellOutput {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.timeout=120", "--output-dir", dir, path)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --execute %s: %v\n%s", path, err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.Base(path)))
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			CellType string          `json:"cell_type"`
			Source   json.RawMessage `json:"source"`
			Outputs  []struct {
				OutputType string                     `json:"output_type"`
				Text       json.RawMessage            `json:"text"`
				Data       map[string]json.RawMessage `json:"data"`
				Ename      string                     `json:"ename"`
				Evalue     string                     `json:"evalue"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var cells []cellOutput
	for _, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		co := cellOutput{source: multiline(c.Source)}
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "stream":
				co.outputs.text += multiline(o.Text)
			case "execute_result", "display_data":
				bundle := map[string]string{}
				for mime, v := range o.Data {
					bundle[mime] = multiline(v)
				}
				co.outputs.bundles = append(co.outputs.bundles, bundle)
			case "error":
				co.outputs.errors = append(co.outputs.errors, o.Ename+": "+o.Evalue)
			}
		}
		cells = append(cells, co)
	}
	return cells
}

// multiline reads a notebook string: one string or a list of lines.
func multiline(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	_ = json.Unmarshal(raw, &lines)
	return strings.Join(lines, "")
}

// plainValue is the text/plain of the cell's one result.
func (s cellShown) plainValue() (string, error) {
	if len(s.errors) > 0 {
		return "", fmt.Errorf("errors: %v", s.errors)
	}
	if len(s.bundles) != 1 {
		return "", fmt.Errorf("%d results, want 1", len(s.bundles))
	}
	return s.bundles[0]["text/plain"], nil
}

// pyList parses the repr of a Python list of numbers.
func pyList(s string) ([]float64, error) {
	var out []float64
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// notebookChecks are what every notebook cell must show, by its source,
// computed from the pooled plaintext.
func notebookChecks(t *testing.T, all *stats.Table) map[string]func(cellShown) error {
	num := func(column, where string) []float64 {
		out, err := fedrun.PlainValues(all, column, where)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	count := func(where string) float64 { return float64(len(num("age", where))) }
	number := func(want float64, rel float64) func(cellShown) error {
		return func(s cellShown) error {
			v, err := s.plainValue()
			if err != nil {
				return err
			}
			got, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("not a number: %q", v)
			}
			if math.Abs(got-want) > rel*math.Abs(want) {
				return fmt.Errorf("shows %v, want %v", got, want)
			}
			return nil
		}
	}
	list := func(want []float64) func(cellShown) error {
		return func(s cellShown) error {
			v, err := s.plainValue()
			if err != nil {
				return err
			}
			got, err := pyList(v)
			if err != nil || !slices.Equal(got, want) {
				return fmt.Errorf("shows %q, want %v", v, want)
			}
			return nil
		}
	}
	printed := func(want string) func(cellShown) error {
		return func(s cellShown) error {
			if len(s.errors) > 0 || !strings.Contains(s.text, want) {
				return fmt.Errorf("printed %q, want %q", s.text, want)
			}
			return nil
		}
	}
	// drawn is a check of a result that also shows a picture.
	drawn := func(check func(cellShown) error) func(cellShown) error {
		return func(s cellShown) error {
			for _, b := range s.bundles {
				if strings.HasPrefix(b["image/png"], "iVBORw0KGgo") {
					return check(s)
				}
			}
			return fmt.Errorf("no picture (image/png)")
		}
	}
	html := func(contains ...string) func(cellShown) error {
		return func(s cellShown) error {
			if len(s.errors) > 0 || len(s.bundles) != 1 {
				return fmt.Errorf("want one result")
			}
			for _, c := range contains {
				if !strings.Contains(s.bundles[0]["text/html"], c) {
					return fmt.Errorf("text/html lacks %q", c)
				}
			}
			return nil
		}
	}
	frequencies := func(column string) map[string]float64 {
		c, err := all.Column(column)
		if err != nil {
			t.Fatal(err)
		}
		f := map[string]float64{}
		for _, l := range c.Cat {
			if l >= 0 {
				f[c.Levels.At(int(l))]++
			}
		}
		return f
	}
	age := num("age", "")
	histogram := []float64{0, 0, 0, 0}
	for _, a := range age {
		for i, e := range []float64{40, 60, 80, 120} {
			if a < e || i == 3 {
				histogram[i]++
				break
			}
		}
	}
	response := frequencies("response")
	responseCheck := func(s cellShown) error {
		v, err := s.plainValue()
		if err != nil {
			return err
		}
		for cat, n := range response {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cat) + ` +` + fmt.Sprint(n) + ` `).MatchString(v) {
				return fmt.Errorf("shows %q, want a row %s %v", v, cat, n)
			}
		}
		return html("<table>", "<th>response</th>", "<th>%</th>")(s)
	}
	sexTox := map[string]int{}
	sexCol, _ := all.Column("sex")
	toxCol, _ := all.Column("toxicity")
	for i := range all.Rows {
		if sexCol.Cat[i] >= 0 && !math.IsNaN(toxCol.Num[i]) {
			sexTox[sexCol.Levels.At(int(sexCol.Cat[i]))+fmt.Sprint(toxCol.Num[i])]++
		}
	}
	crosstabCheck := func(s cellShown) error {
		if err := html("<th>F</th>", "<th>M</th>", "<th>0</th>", "<th>1</th>", "<th>total</th>")(s); err != nil {
			return err
		}
		v, err := s.plainValue()
		if err != nil {
			return err
		}
		for _, sex := range []string{"F", "M"} {
			row := fmt.Sprintf("%s +%d +%d +%d", sex, sexTox[sex+"0"], sexTox[sex+"1"], sexTox[sex+"0"]+sexTox[sex+"1"])
			if !regexp.MustCompile(`(?m)^` + row + `$`).MatchString(v) {
				return fmt.Errorf("shows %q, want a row %q", v, row)
			}
		}
		return nil
	}
	q := func(v []float64, ps ...float64) []float64 {
		out := make([]float64, len(ps))
		for i, p := range ps {
			out[i] = stats.QuantileSorted(v, p)
		}
		return out
	}
	return map[string]func(cellShown) error{
		// getting-started
		`node = fsc.connect()
info = node.info()
print(info["name"], "in a federation of", len(info["members"]), "members")`: printed("in a federation of 3 members"),
		`t = node.table("patients")
t.columns()`: func(s cellShown) error {
			v, err := s.plainValue()
			if err != nil {
				return err
			}
			for _, c := range []string{"age", "sex", "survival_months", "response"} {
				if !strings.Contains(v, "'"+c+"'") {
					return fmt.Errorf("columns %q lack %s", v, c)
				}
			}
			return nil
		},
		`t.count()`:        number(count(""), 0),
		`t.summary("age")`: html("<table>", "mean"),
		`h = t.histogram("age", bins=[0, 40, 60, 80, 120])
h`: func(s cellShown) error {
			if len(s.bundles) != 1 || !strings.HasPrefix(s.bundles[0]["image/png"], "iVBORw0KGgo") || !strings.Contains(s.bundles[0]["image/svg+xml"], "<svg") {
				return fmt.Errorf("want a picture (PNG and SVG)")
			}
			return nil
		},
		`h["counts"]`:                          list(histogram),
		`t.median("age")`:                      number(stats.QuantileSorted(age, 0.5), 0),
		`t.quantile("age", [0.25, 0.5, 0.75])`: list(q(age, 0.25, 0.5, 0.75)),
		`women = t.where("sex == 'F'")
women.count()`: number(count("sex == 'F'"), 0),
		`women.where("age >= 50").mean("age")`: number(plainMean(num("age", "sex == 'F' and age >= 50")), 1e-12),
		`t.frequency("response")`:              responseCheck,
		`try:
    t.where("age >= 95").count()
except fsc.DisclosureError as e:
    print("refused:", e)`: printed("refused:"),
		// pilot-study
		`t = fsc.table("patients")
t.count()`: number(count(""), 0),
		`t.where("toxicity == 1").count()`: number(count("toxicity == 1"), 0),
		`t.crosstab("sex", "toxicity")`:    crosstabCheck,
		`km = t.km("survival_months", "event")
km`: drawn(html("0.95LCL", "n.risk", "survival")),
		`os = km["groups"]["all"]
print("median overall survival: %.1f months (95%% CI %.1f to %.1f)" % (os["median"], os["median_ci"][0], os["median_ci"][1]))`: printed("median overall survival: "),
		`t.km("survival_months", "event", by="sex")`: drawn(html("sex=F", "sex=M", "0.95UCL")),
		`lr = t.logrank("survival_months", "event", by="sex")
print("log-rank p = %.3g" % lr["p"])`: printed("log-rank p = "),
		`t.coxph("survival_months", "event", ["age", "dose"])`:         html("<th>exp(coef)</th>", "<th>Pr(&gt;|z|)</th>", "<th>lower .95</th>", "Likelihood ratio test"),
		`t.glm("toxicity", ["age", "dose", "sex"], family="binomial")`: html("<th>sexM</th>", "<th>Pr(&gt;|z|)</th>", "<th>2.5 %</th>", "Residual deviance", "AIC"),
		// secure-sum
		`info = fsc.connect().info()
nodes = [m["url"] for m in info["members"]]
myself = [m["name"] for m in info["members"]].index(info["name"])
net = {"nodes": nodes, "uuid": "notebook-secure-sum", "myself": myself}
print("I am party", myself, "of", len(nodes))`: printed("I am party 0 of 3"),
		`my_values = [12, 7, 30]
fsc.sum(my_values, network=net)`: number(12+7+30+5+5+100, 0),
	}
}

func plainMean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
