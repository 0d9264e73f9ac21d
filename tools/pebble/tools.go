//go:build tools

// Pins Pebble, Let's Encrypt's ACME test server, and its challenge test server (a DNS server
// that answers every name with 127.0.0.1) for the ACME tests; build.sh builds both.
package tools

import (
	_ "github.com/letsencrypt/pebble/v2/cmd/pebble"
	_ "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv"
)
