module example.com/nethttp

go 1.22
