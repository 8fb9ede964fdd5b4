package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/gorootimg/gorootimg/internal/atomicfile"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
)

// knownKeyRE matches the entries of the go command's knownGOSUMDB map,
// `"NAME": "NAME+HASH+KEY",`.
var knownKeyRE = regexp.MustCompile(`"([^"\s]+)"\s*:\s*"([^"\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+)"`)

// ParseKnownSumDBKeys extracts the checksum databases the go command knows
// by name, with their verifier keys, from the source of its knownGOSUMDB
// map ($GOROOT/src/cmd/go/internal/modfetch/key.go). gorootimg reads the
// key from there at run time rather than carrying a copy of it.
func ParseKnownSumDBKeys(src []byte) map[string]string {
	out := map[string]string{}
	for _, m := range knownKeyRE.FindAllSubmatch(src, -1) {
		name, key := string(m[1]), string(m[2])
		if strings.HasPrefix(key, name+"+") {
			out[name] = key
		}
	}
	return out
}

// sumdbConfig is a parsed GOSUMDB.
type sumdbConfig struct {
	name   string
	vkey   string
	direct string // explicit URL from GOSUMDB, or "" to go through the proxies
}

// parseGOSUMDB reads GOSUMDB the way the go command does: "KEY" or
// "KEY URL", where KEY is a verifier key or the name of a database in
// known. The go command requires the checksum database for
// golang.org/toolchain whatever GONOSUMDB says; so does gorootimg.
func parseGOSUMDB(gosumdb string, known map[string]string) (*sumdbConfig, error) {
	gosumdb = strings.TrimSpace(gosumdb)
	switch gosumdb {
	case "":
		return nil, errors.New("GOSUMDB is not set; gorootimg verifies Go releases against the checksum database: set GOSUMDB (see 'go env GOSUMDB')")
	case "off":
		return nil, fmt.Errorf("GOSUMDB=off: gorootimg, like the go command, requires the checksum database to verify %s", toolchainModule)
	}
	f := strings.Fields(gosumdb)
	if len(f) > 2 {
		return nil, fmt.Errorf("GOSUMDB %q: too many fields; want KEY or KEY URL", gosumdb)
	}
	key := f[0]
	if k, ok := known[key]; ok {
		key = k
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		if !strings.Contains(key, "+") {
			return nil, fmt.Errorf("GOSUMDB %q: no verifier key for this database; give it as NAME+HASH+KEY (the go command's own key is read from its source; is a Go SDK with src/ on PATH?)", gosumdb)
		}
		return nil, fmt.Errorf("GOSUMDB %q: %w", gosumdb, err)
	}
	c := &sumdbConfig{name: v.Name(), vkey: key}
	if u, err := url.Parse("https://" + c.name); err != nil || u.Host == "" || strings.HasSuffix(c.name, "/") {
		return nil, fmt.Errorf("GOSUMDB %q: database name %q is not host[/path]", gosumdb, c.name)
	}
	if len(f) == 2 {
		c.direct = strings.TrimSuffix(f[1], "/")
	}
	return c, nil
}

// sumdbOps implements sumdb.ClientOps over the proxy client and the cache.
// The verified tree head lives in the cache, so a database that forks its
// history after gorootimg saw it is caught.
type sumdbOps struct {
	ctx   context.Context
	cfg   *sumdbConfig
	proxy *proxyClient
	dir   string // <cache>/sumdb

	once    sync.Once
	base    string
	baseErr error

	mu       sync.Mutex
	security []string
}

var _ sumdb.ClientOps = (*sumdbOps)(nil)

// initBase finds how to reach the database: an explicit URL from GOSUMDB,
// else the first proxy whose <proxy>/sumdb/<name>/supported answers 200,
// else the database's own host, as the go command does.
func (o *sumdbOps) initBase() {
	if o.cfg.direct != "" {
		o.base = o.cfg.direct
		return
	}
	for _, e := range o.proxy.entries {
		if e.url == "off" {
			o.baseErr = errOff
			return
		}
		if e.url == "direct" {
			break
		}
		base := e.url + "/sumdb/" + o.cfg.name
		var b memBuffer
		err := o.proxy.getOne(o.ctx, base+"/supported", "checksum database support", &b)
		if err == nil {
			o.base = base
			return
		}
		if isNotFound(err) {
			continue
		}
		if !e.fallThrough {
			o.baseErr = fmt.Errorf("reaching checksum database %s through proxy: %w", o.cfg.name, err)
			return
		}
	}
	o.base = "https://" + o.cfg.name
}

func (o *sumdbOps) ReadRemote(path string) ([]byte, error) {
	o.once.Do(o.initBase)
	if o.baseErr != nil {
		return nil, o.baseErr
	}
	var b memBuffer
	if err := o.proxy.getOne(o.ctx, o.base+path, "checksum database "+o.cfg.name, &b); err != nil {
		return nil, err
	}
	return b.buf, nil
}

// file maps a config or cache name ("NAME/latest", "NAME/tile/8/0/001")
// into the cache, refusing anything that would leave it.
func (o *sumdbOps) file(kind, name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") || strings.Contains(name, "\\") {
		return "", fmt.Errorf("checksum database: bad %s file name %q", kind, name)
	}
	return filepath.Join(o.dir, kind, filepath.FromSlash(name)), nil
}

func (o *sumdbOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.cfg.vkey), nil
	}
	p, err := o.file("config", file)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

func (o *sumdbOps) WriteConfig(file string, old, new []byte) error {
	p, err := o.file("config", file)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	lf, err := os.OpenFile(p+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := flock(lf); err != nil {
		return err
	}
	cur, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if !bytes.Equal(cur, old) {
		return sumdb.ErrWriteConflict
	}
	return atomicfile.WriteFile(p, new, 0o644)
}

func (o *sumdbOps) ReadCache(file string) ([]byte, error) {
	p, err := o.file("cache", file)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

func (o *sumdbOps) WriteCache(file string, data []byte) {
	p, err := o.file("cache", file)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		atomicfile.WriteFile(p, data, 0o644)
	}
}

func (o *sumdbOps) Log(msg string) {}

func (o *sumdbOps) SecurityError(msg string) {
	o.mu.Lock()
	o.security = append(o.security, msg)
	o.mu.Unlock()
}

// lookupHash asks the checksum database for the h1: hash of
// golang.org/toolchain@version's zip.
func lookupHash(ctx context.Context, cfg *sumdbConfig, proxy *proxyClient, cacheDir, version string) (string, error) {
	ops := &sumdbOps{ctx: ctx, cfg: cfg, proxy: proxy, dir: filepath.Join(cacheDir, "sumdb")}
	client := sumdb.NewClient(ops)
	lines, err := client.Lookup(toolchainModule, version)
	if err != nil {
		if errors.Is(err, sumdb.ErrSecurity) && len(ops.security) > 0 {
			return "", fmt.Errorf("verifying %s@%s: checksum database %s: SECURITY ERROR: %s", toolchainModule, version, cfg.name, strings.Join(ops.security, "; "))
		}
		return "", fmt.Errorf("verifying %s@%s: looking it up in checksum database %s: %w", toolchainModule, version, cfg.name, err)
	}
	prefix := toolchainModule + " " + version + " "
	for _, l := range lines {
		if h, ok := strings.CutPrefix(l, prefix); ok && strings.HasPrefix(h, "h1:") {
			return h, nil
		}
	}
	return "", fmt.Errorf("verifying %s@%s: checksum database %s has no h1: hash for it", toolchainModule, version, cfg.name)
}
