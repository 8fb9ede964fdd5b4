// Command nethttp is the benchmark's small net/http service: a handler,
// a JSON response and a server, the packages a typical service's first
// build compiles.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"time"
)

func hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"hello": r.URL.Query().Get("name"), "time": time.Now().UTC().Format(time.RFC3339)})
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", hello)
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
