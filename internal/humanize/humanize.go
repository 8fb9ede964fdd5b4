package humanize

import "fmt"

// Bytes formats a byte count with a binary unit: "512 B", "1.5 KiB",
// "20.0 MiB". Below 1 KiB it is exact; above, one decimal.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
