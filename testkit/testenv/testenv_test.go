package testenv

import (
	"net/http"
	"testing"
)

func TestStartRegistry(t *testing.T) {
	for _, o := range []RegistryOptions{{}, {TLS: true, Auth: true}} {
		r := StartRegistry(t, o)
		scheme, client := "http", http.DefaultClient
		if o.TLS {
			scheme = "https"
			client = &http.Client{Transport: &http.Transport{TLSClientConfig: TLSConfig(t, r.CACert)}}
		}
		resp, err := client.Get(scheme + "://" + r.Host + "/v2/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusOK
		if o.Auth {
			want = http.StatusUnauthorized
		}
		if resp.StatusCode != want {
			t.Errorf("GET /v2/ with %+v = %d, want %d", o, resp.StatusCode, want)
		}
		if o.Auth {
			req, _ := http.NewRequest("GET", scheme+"://"+r.Host+"/v2/", nil)
			req.SetBasicAuth(r.User, r.Password)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /v2/ with credentials = %d, want 200", resp.StatusCode)
			}
		}
	}
}
