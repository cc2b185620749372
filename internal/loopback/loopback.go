// Package loopback finds a free TCP port on 127.0.0.1, for processes the
// store starts for itself (make run's private PostgreSQL, tests' servers).
// The port is free when returned; a process that binds it later races
// anything else choosing ports the same way, which is fine on a laptop and
// in tests.
package loopback

import "net"

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
