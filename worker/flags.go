package worker

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// The built-in flags of the command line.
const (
	flagListen  = "listen"
	flagPidFile = "pidfile"
	flagLogFile = "logfile"
	flagTLSCert = "tls-cert"
	flagTLSKey  = "tls-key"
)

// Flags is the flag set of RunAll's command line. It holds the built-in
// flags (-listen, -pidfile, -logfile); a program defines its own flags on it
// before ParseFlags, the standard flag package's way:
//
//	redis := worker.Flags.String("redis", "", "`host:port` of Redis")
//	worker.ParseFlags()          // reads os.Args; *redis is set from here on
//	w := newServer(*redis)       // build the Workers with the values
//	worker.RunAll()              // runs the command; parses nothing again
//
// They are given before the command word, with the built-in flags in any
// order: "program -redis 10.0.0.5:6379 -listen :8080 start -d". -h lists
// them all. A flag named like a built-in one panics when it is defined (as
// any flag defined twice), so the clash shows on the first run.
var Flags = NewFlagSet(programName())

// ParseFlags parses the flags of the command line, os.Args[1:] up to the
// command word, into Flags: the program's own and the built-in ones. Call it
// after defining the program's flags on Flags and before using their values;
// RunAll then runs the command without parsing again (a program that calls
// RunAll alone needs no ParseFlags: RunAll calls it). With -h or -help it
// prints the usage and every flag, and exits 0; a flag that is not defined
// or a bad value is an error naming it, followed by the usage, and exit
// status 2. It does nothing once Flags is parsed.
func ParseFlags() {
	if Flags.Parsed() {
		return
	}
	if code, ok := parseFlags(Flags, os.Args[1:]); !ok {
		os.Exit(code)
	}
}

// parseFlags parses args into fs, and says with which exit status to end
// when the program must not go on: 0 after -h, 2 after an error (which fs
// has printed, with the usage).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	default:
		return 2, false
	}
}

// NewFlagSet returns a flag set named name (the program's name in the
// usage) that holds the built-in flags of the command line (-listen,
// -pidfile, -logfile), reports its errors (flag.ContinueOnError) and prints
// the command line's usage. Define the program's own flags on it and set it
// as a CommandLine's Flags; RunAll uses Flags, made with it.
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	addBuiltinFlags(fs, "", "")
	fs.Usage = func() { printUsage(fs) }
	return fs
}

// addBuiltinFlags defines on fs the built-in flags it lacks, with the given
// defaults for the pid and log files.
func addBuiltinFlags(fs *flag.FlagSet, pidFile, logFile string) {
	if fs.Lookup(flagListen) == nil {
		fs.String(flagListen, "", "`host:port` to listen on, replacing the first worker's address")
	}
	if fs.Lookup(flagPidFile) == nil {
		fs.String(flagPidFile, pidFile, "pid `file` of the running instance, where stop and status find it\n(default: one in the temporary directory named after the program and its working directory)")
	}
	if fs.Lookup(flagLogFile) == nil {
		fs.String(flagLogFile, logFile, "log `file` of a detached instance, start -d (default: the pid file's name with .log)")
	}
	if fs.Lookup(flagTLSCert) == nil {
		fs.String(flagTLSCert, "", "certificate `file` (PEM, the chain after the leaf): serve TLS on the first worker's address, with -tls-key")
	}
	if fs.Lookup(flagTLSKey) == nil {
		fs.String(flagTLSKey, "", "private key `file` (PEM) of -tls-cert; both are read again when they change, without a restart")
	}
}

// printUsage prints the command line's usage and every flag of fs, the
// program's and the built-in ones, to fs's output.
func printUsage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintf(out, "usage: %s [flags] [command]\n\n", fs.Name())
	fmt.Fprint(out, `Commands:
  start [-d]   run in the foreground until SIGINT or SIGTERM (the default);
               -d runs detached, logging to the log file
  stop         stop the running instance gracefully and wait for it
  restart [-d] start in place of the running instance, which hands its
               listening sockets over and ends its connections gracefully
  reload       the running instance starts its program again and hands over
  status       print the running instance's status
  connections  list the running instance's open connections

Flags, before the command:
`)
	fs.PrintDefaults()
}

// flagValue returns the value of fs's flag name, "" if it has none.
func flagValue(fs *flag.FlagSet, name string) string {
	if f := fs.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// misplacedFlag returns the first argument of rest (what follows the
// command word) that names one of fs's flags and none of the command's
// own (sub), "" if none: such a flag belongs before the command.
func misplacedFlag(fs, sub *flag.FlagSet, rest []string) string {
	for _, a := range rest {
		if a == "--" {
			return ""
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=") // -name or --name
		if name != "" && fs.Lookup(name) != nil && sub.Lookup(name) == nil {
			return "-" + name
		}
	}
	return ""
}
