// Command trivialhelper is the floor hack/k8s-bench.sh measures the
// GOCACHEPROG helper against: a GOCACHEPROG program that keeps one
// directory in the go command's on-disk format and answers a get by
// reading its action entry, with no check at all (never use it for
// builds). What a warm build costs with it over plain GOCACHE is what the
// protocol itself costs: a process, and a JSON round trip per request.
//
// Usage (GOCACHEPROG): trivialhelper DIR
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

type response struct {
	ID            int64
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: trivialhelper DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	bw := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(bw)
	reply := func(r *response) { enc.Encode(r); bw.Flush() }
	reply(&response{KnownCommands: []string{"get", "put", "close"}})
	dec := json.NewDecoder(bufio.NewReader(os.Stdin))
	for {
		var req request
		if dec.Decode(&req) != nil {
			return
		}
		var body []byte
		if req.Command == "put" && req.BodySize > 0 {
			dec.Decode(&body)
		}
		switch req.Command {
		case "close":
			reply(&response{ID: req.ID})
			return
		case "get":
			reply(get(dir, req.ID, req.ActionID))
		case "put":
			reply(put(dir, &req, body))
		}
	}
}

func name(dir string, id []byte, kind string) string {
	h := hex.EncodeToString(id)
	return filepath.Join(dir, h[:2], h+"-"+kind)
}

func get(dir string, id int64, action []byte) *response {
	b, err := os.ReadFile(name(dir, action, "a"))
	f := strings.Fields(string(b))
	if err != nil || len(f) != 5 {
		return &response{ID: id, Miss: true}
	}
	out, _ := hex.DecodeString(f[2])
	size, _ := strconv.ParseInt(f[3], 10, 64)
	nano, _ := strconv.ParseInt(f[4], 10, 64)
	t := time.Unix(0, nano)
	return &response{ID: id, OutputID: out, Size: size, Time: &t, DiskPath: name(dir, out, "d")}
}

func put(dir string, req *request, body []byte) *response {
	data := name(dir, req.OutputID, "d")
	os.MkdirAll(filepath.Dir(data), 0o777)
	os.WriteFile(data, body, 0o644)
	index := name(dir, req.ActionID, "a")
	os.MkdirAll(filepath.Dir(index), 0o777)
	now := time.Now()
	os.WriteFile(index, []byte(fmt.Sprintf("v1 %x %x %20d %20d\n", req.ActionID, req.OutputID, req.BodySize, now.UnixNano())), 0o644)
	return &response{ID: req.ID, OutputID: req.OutputID, Size: req.BodySize, Time: &now, DiskPath: data}
}
