package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// writeTable writes a generated CSV once: the header, then rows lines from
// row (which appends one line to buf). An existing file is kept.
func writeTable(file, header string, rows int, row func(buf []byte) []byte) error {
	if _, err := os.Stat(file); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file + ".tmp")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(header)
	buf := make([]byte, 0, 256)
	for r := 0; r < rows; r++ {
		buf = row(buf[:0])
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(file+".tmp", file)
}

// writeWide writes a seeded benchmark table for one site: y, ten numeric
// regressors x1..x10, two categorical columns c1, c2 with ten levels each.
func writeWide(file string, rows int, site uint64) error {
	rng := rand.New(rand.NewPCG(0xbe7c, site))
	x := make([]float64, 10)
	return writeTable(file, "y,x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,c1,c2\n", rows, func(buf []byte) []byte {
		y := 3.0
		for j := range x {
			x[j] = math.Round(rng.NormFloat64()*1000) / 100
			y += float64(j+1) * 0.1 * x[j]
		}
		y += rng.NormFloat64()
		buf = strconv.AppendFloat(buf, math.Round(y*1000)/1000, 'f', -1, 64)
		for _, v := range x {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
		}
		return fmt.Appendf(buf, ",L%d,M%d\n", rng.IntN(10), rng.IntN(10))
	})
}

// writeValues writes a one-column table v of seeded decimals, for the
// scaling runs.
func writeValues(file string, rows int, site uint64) error {
	rng := rand.New(rand.NewPCG(0x5ca1e, site))
	return writeTable(file, "v\n", rows, func(buf []byte) []byte {
		buf = strconv.AppendFloat(buf, math.Round((50+rng.NormFloat64()*10)*1000)/1000, 'f', -1, 64)
		return append(buf, '\n')
	})
}
