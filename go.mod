module github.com/fsc-kernel/fsc-kernel

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/go-python/gpython v0.2.0 // indirect
	github.com/gorilla/mux v1.8.1 // indirect
	github.com/mattn/go-runewidth v0.0.13 // indirect
	github.com/peterh/liner v1.2.2 // indirect
	github.com/rivo/uniseg v0.3.4 // indirect
	github.com/yuin/gopher-lua v1.1.2 // indirect
	golang.org/x/sys v0.0.0-20220817070843-5a390386f1f2 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)
