// Command gen writes the example federation's synthetic, seeded patients.csv files (run from the repository root);
// with -out FILE it writes one table of -rows rows for site -site instead, e.g. a large file for benchmarks.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// header is the column row of every generated table.
const header = "patient_id,age,sex,bmi,dose,response,toxicity,survival_months,event\n"

// seed is the first half of every site's PCG seed; the second is a hash of
// the site's name, so each site has its own fixed stream.
const seed = 0x5EED_F5C0_2024

// site holds what differs between hospitals.
type site struct {
	name    string  // patient_id prefix, e.g. "A"
	dir     string  // folder under -dir for the committed file
	rows    int     // rows of the committed file
	age     float64 // mean age in years
	female  float64 // share of women
	bmi     float64 // mean BMI
	dose    float64 // mean dose in Gy
	hazard  float64 // baseline death rate a month
	maxFoll float64 // longest follow-up in months
}

var sites = []site{
	{name: "A", dir: "hospital-a", rows: 1200, age: 60, female: 0.52, bmi: 27.0, dose: 60, hazard: 1.0 / 40, maxFoll: 84},
	{name: "B", dir: "hospital-b", rows: 2000, age: 63, female: 0.47, bmi: 28.0, dose: 62, hazard: 1.0 / 36, maxFoll: 96},
	{name: "C", dir: "hospital-c", rows: 2800, age: 65, female: 0.50, bmi: 26.5, dose: 58, hazard: 1.0 / 44, maxFoll: 72},
}

// siteFor returns the parameters of a named site: a committed site's own, or
// middle values for any other name.
func siteFor(name string) site {
	for _, s := range sites {
		if s.name == name {
			return s
		}
	}
	return site{name: name, age: 62, female: 0.5, bmi: 27.0, dose: 60, hazard: 1.0 / 40, maxFoll: 84}
}

func main() {
	dir := flag.String("dir", filepath.Join("examples", "federation", "data"), "folder for the committed hospital-{a,b,c}/patients.csv files")
	out := flag.String("out", "", "write one table to this file instead of the committed ones")
	rows := flag.Int("rows", 1_000_000, "rows of the table written with -out")
	siteName := flag.String("site", "A", "site of the table written with -out: its seed, parameters and patient_id prefix")
	flag.Parse()
	if err := run(*dir, *out, *rows, *siteName); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string, rows int, siteName string) error {
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if out == "" {
		if set["rows"] || set["site"] {
			return errors.New("-rows and -site need -out")
		}
		for _, s := range sites {
			path := filepath.Join(dir, s.dir, "patients.csv")
			if err := write(path, s, s.rows); err != nil {
				return err
			}
			fmt.Printf("wrote %s (%d rows)\n", path, s.rows)
		}
		return nil
	}
	if set["dir"] {
		return errors.New("-dir and -out exclude each other")
	}
	if rows < 0 {
		return fmt.Errorf("-rows %d: want 0 or more", rows)
	}
	name := strings.ToUpper(strings.TrimSpace(siteName))
	if name == "" || strings.ContainsAny(name, ",\"\r\n") {
		return fmt.Errorf("-site %q: want a short name without commas or quotes", siteName)
	}
	return write(out, siteFor(name), rows)
}

// write writes n rows of site s to path, creating its folder.
func write(path string, s site, n int) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create folder for %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<16)
	if err := generate(w, s, n); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// generate writes the header and n rows of site s. The same site and n give
// the same bytes, and the first rows do not depend on n.
func generate(w *bufio.Writer, s site, n int) error {
	h := fnv.New64a()
	h.Write([]byte(s.name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))

	width := max(5, len(strconv.Itoa(n)))
	if _, err := w.WriteString(header); err != nil {
		return err
	}
	var b []byte
	for i := 1; i <= n; i++ {
		p := patient(rng, s)

		b = append(b[:0], s.name...)
		b = append(b, '-')
		id := strconv.Itoa(i)
		for range width - len(id) {
			b = append(b, '0')
		}
		b = append(b, id...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.age), 10)
		b = append(b, ',', p.sex, ',')
		if !p.bmiMissing {
			b = strconv.AppendFloat(b, p.bmi, 'f', 1, 64)
		}
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.dose, 'f', 1, 64)
		b = append(b, ',')
		b = append(b, p.response...)
		b = append(b, ',', '0'+p.toxicity, ',')
		b = strconv.AppendFloat(b, p.survival, 'f', 1, 64)
		b = append(b, ',', '0'+p.event, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

type record struct {
	age        int
	sex        byte
	bmi        float64
	bmiMissing bool
	dose       float64
	response   string
	toxicity   byte
	survival   float64
	event      byte
}

// responseEffect is each response's log hazard ratio for survival.
var responseEffect = map[string]float64{"CR": -0.9, "PR": -0.4, "SD": 0, "PD": 0.7}

// patient draws one patient. Every draw is made whatever its outcome, so the
// stream stays aligned from row to row.
func patient(rng *rand.Rand, s site) record {
	var p record
	p.age = int(math.Round(normalIn(rng, s.age, 12, 18, 95)))
	p.sex = 'M'
	if rng.Float64() < s.female {
		p.sex = 'F'
	}
	male := 0.0
	if p.sex == 'M' {
		male = 1
	}
	p.bmi = round1(normalIn(rng, s.bmi+0.03*float64(p.age-62)+0.6*male, 4.8, 16, 45))
	p.bmiMissing = rng.Float64() < 0.01
	p.dose = round1(normalIn(rng, s.dose, 7, 40, 80))

	// Response: an ordered latent score, better with dose, worse with age.
	z := 0.05*(p.dose-60) - 0.02*float64(p.age-62) + rng.NormFloat64()
	switch {
	case z > 1.0:
		p.response = "CR"
	case z > -0.2:
		p.response = "PR"
	case z > -1.2:
		p.response = "SD"
	default:
		p.response = "PD"
	}

	// Toxicity: logistic in dose and age.
	lt := -1.5 + 0.08*(p.dose-60) + 0.01*float64(p.age-62)
	if rng.Float64() < 1/(1+math.Exp(-lt)) {
		p.toxicity = 1
	}

	// Survival: exponential with a proportional hazard, censored by the end
	// of follow-up.
	rate := s.hazard * math.Exp(0.025*float64(p.age-62)-0.01*(p.dose-60)+responseEffect[p.response])
	t := rng.ExpFloat64() / rate
	follow := 6 + rng.Float64()*(s.maxFoll-6)
	p.survival, p.event = t, 1
	if follow < t {
		p.survival, p.event = follow, 0
	}
	p.survival = max(0.1, round1(p.survival))
	return p
}

// normalIn draws from a normal distribution until the value lies in [lo, hi].
func normalIn(rng *rand.Rand, mean, sd, lo, hi float64) float64 {
	for {
		if v := mean + sd*rng.NormFloat64(); v >= lo && v <= hi {
			return v
		}
	}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
