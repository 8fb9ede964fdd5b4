// Package inventory generates, from a Go SDK, the inventory of what a CI
// pipeline can use of it (every go subcommand, every go tool, every GOROOT
// support file; see recipes.Inventory), and compares two inventories so
// that a new release whose inventory changed is noticed before an image
// of it is published. hack/inventory.sh rewrites the checked-in
// inventories in recipes/inventory with it.
package inventory
