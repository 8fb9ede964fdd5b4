module github.com/gorootimg/gorootimg

go 1.26.0

require (
	github.com/rogpeppe/go-internal v1.16.0
	github.com/spf13/pflag v1.1.0
)

require (
	github.com/google/go-containerregistry v0.22.1 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
	golang.org/x/mod v0.43.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)
