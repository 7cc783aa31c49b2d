package worker

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certFiles serves the certificate of a pair of PEM files and reads them
// again when either changes (checked at most once a second, at a
// handshake), so that a renewed certificate is used without a restart. A
// pair that fails to load keeps the last good certificate, and the
// failure is logged.
type certFiles struct {
	cert, key string

	mu      sync.Mutex
	current *tls.Certificate
	stamp   string    // the files' sizes and modification times when loaded
	checked time.Time // when the files were last looked at
}

// loadCertFiles loads the pair, failing if it cannot be used.
func loadCertFiles(cert, key string) (*certFiles, error) {
	cf := &certFiles{cert: cert, key: key}
	if err := cf.load(); err != nil {
		return nil, err
	}
	return cf, nil
}

func (cf *certFiles) fileStamp() (string, error) {
	var s string
	for _, name := range []string{cf.cert, cf.key} {
		fi, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%d %d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}

func (cf *certFiles) load() error {
	stamp, err := cf.fileStamp()
	if err != nil {
		return fmt.Errorf("-tls-cert/-tls-key: %w", err)
	}
	c, err := tls.LoadX509KeyPair(cf.cert, cf.key)
	if err != nil {
		return fmt.Errorf("-tls-cert %s, -tls-key %s: %w", cf.cert, cf.key, err)
	}
	cf.current, cf.stamp = &c, stamp
	return nil
}

// GetCertificate is the tls.Config's.
func (cf *certFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if now := time.Now(); now.Sub(cf.checked) >= time.Second {
		cf.checked = now
		if stamp, err := cf.fileStamp(); err == nil && stamp != cf.stamp {
			if err := cf.load(); err != nil {
				slog.Error("TLS certificate not reloaded; the previous one stays in use", "err", err)
			} else {
				slog.Info("TLS certificate reloaded", "cert", cf.cert)
			}
		}
	}
	return cf.current, nil
}
