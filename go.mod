module github.com/fsc-kernel/fsc-kernel

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/gorilla/mux v1.8.1 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)
