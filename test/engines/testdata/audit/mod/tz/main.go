// Command tz loads a time zone: on a scratch image without
// /usr/share/zoneinfo, from $GOROOT/lib/time/zoneinfo.zip.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).In(loc))
}
