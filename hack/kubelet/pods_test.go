//go:build linux

package kubelet

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// podCase is one static pod: the restricted Pod Security profile (no
// privilege escalation, no capabilities, RuntimeDefault seccomp,
// runAsNonRoot), volumes the profile allows (an emptyDir on /tmp, the
// sources as downward API files from the pod's annotations: a standalone
// kubelet has no ConfigMaps), on the host's network.
type podCase struct {
	name     string
	image    string // "root" or "nonroot": which image it runs
	user     *int64 // runAsUser; nil leaves it to the image
	group    *int64
	readOnly bool
	// refuse is the kubelet's message when the pod must be refused, ""
	// when it must run.
	refuse string
}

func ptr(v int64) *int64 { return &v }

// refusal is what the kubelet says for runAsNonRoot on a root image.
const refusal = "container has runAsNonRoot and image will run as root"

var podCases = []podCase{
	{name: "uid-1000680000", image: "root", user: ptr(1000680000), group: ptr(0)},
	{name: "readonly-uid-1000680000", image: "root", user: ptr(1000680000), group: ptr(0), readOnly: true},
	{name: "nonroot-no-user-root-image", image: "root", readOnly: true, refuse: refusal},
	{name: "nonroot-no-user", image: "nonroot", readOnly: true},
}

// security describes c's security context in a table cell.
func (c podCase) security() string {
	s := []string{"restricted"}
	if c.image == "nonroot" {
		s = append(s, "the non-root image (build --user)")
	}
	if c.user != nil {
		s = append(s, fmt.Sprintf("runAsUser %d, runAsGroup %d", *c.user, *c.group))
	} else {
		s = append(s, "runAsNonRoot, no runAsUser")
	}
	if c.readOnly {
		s = append(s, "readOnlyRootFilesystem, emptyDir /tmp")
	} else {
		s = append(s, "emptyDir /tmp")
	}
	return strings.Join(s, "; ")
}

// sources are the files of the two modules the pods build and test, as
// annotation keys (downward API paths below /src).
var sources = map[string]string{
	"web/go.mod":             "testdata/web/go.mod",
	"web/main.go":            "testdata/web/main.go",
	"mod/go.mod":             "testdata/mod/go.mod",
	"mod/hello/main.go":      "testdata/mod/hello/main.go",
	"mod/hello/main_test.go": "testdata/mod/hello/main_test.go",
}

// manifest returns c's static pod, running image.
func (c podCase) manifest(image, testdata string) ([]byte, error) {
	ann := map[string]string{}
	var items []map[string]any
	for path, file := range sources {
		b, err := os.ReadFile(filepath.Join(testdata, strings.TrimPrefix(file, "testdata/")))
		if err != nil {
			return nil, err
		}
		key := "gorootimg.test/" + strings.NewReplacer("/", ".").Replace(path)
		ann[key] = string(b)
		items = append(items, map[string]any{"path": path, "fieldRef": map[string]any{"fieldPath": "metadata.annotations['" + key + "']"}})
	}
	psc := map[string]any{"runAsNonRoot": true, "seccompProfile": map[string]any{"type": "RuntimeDefault"}}
	if c.user != nil {
		psc["runAsUser"], psc["runAsGroup"] = *c.user, *c.group
	}
	csc := map[string]any{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": c.readOnly,
		"capabilities": map[string]any{"drop": []string{"ALL"}}}
	mounts := []map[string]any{{"name": "tmp", "mountPath": "/tmp"}, {"name": "src", "mountPath": "/src", "readOnly": true}}
	ctr := func(name, dir string, cmd ...string) map[string]any {
		return map[string]any{"name": name, "image": image, "imagePullPolicy": "Never", "command": cmd,
			"workingDir": dir, "securityContext": csc, "volumeMounts": mounts}
	}
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": c.name, "namespace": "default", "annotations": ann},
		"spec": map[string]any{
			"hostNetwork": true, "restartPolicy": "Never", "securityContext": psc,
			"containers": []any{
				ctr("build", "/src/web", "go", "build", "-x", "-o", "/tmp/web", "."),
				ctr("test", "/src/mod", "go", "test", "./hello"),
			},
			"volumes": []any{
				map[string]any{"name": "tmp", "emptyDir": map[string]any{}},
				map[string]any{"name": "src", "downwardAPI": map[string]any{"items": items}},
			},
		},
	}
	return json.MarshalIndent(pod, "", "  ")
}
