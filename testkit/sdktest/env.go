package sdktest

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/gorootimg/gorootimg/sdk"
)

// EnvOptions returns sdk.Options configured as cmd/gorootimg configures
// them (sdk.EnvOptions of the environment and 'go env'). It skips t when
// there is no go command.
func EnvOptions(t testing.TB) sdk.Options {
	t.Helper()
	out, err := exec.Command("go", sdk.GoEnvArgs()...).Output()
	if err != nil {
		t.Skipf("skipping: no go command to read the module settings from: go env: %v", err)
	}
	var ge map[string]string
	if err := json.Unmarshal(out, &ge); err != nil {
		t.Fatalf("decoding go env -json: %v", err)
	}
	o, err := sdk.EnvOptions(os.Getenv, ge)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
