#if canImport(Glibc)
import Glibc
#endif

/// Process signals, received synchronously on one thread.
///
/// `blockTermination()` runs on the main thread before any loop thread starts, so every thread
/// inherits the mask and the kernel can only deliver SIGTERM, SIGINT and SIGHUP to whoever calls
/// `wait()`. No async signal handler runs, so nothing unsafe happens inside one.
public enum Signals {
    public enum Received: Sendable {
        case terminate
        case interrupt
        case hangup
    }

    /// OpenSSL writes to sockets with `write()`, so `MSG_NOSIGNAL` can't protect it: a peer that
    /// vanished mid-write would kill the process with SIGPIPE unless it is ignored.
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    private static func set() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        return set
    }

    public static func blockTermination() {
        var mask = set()
        pthread_sigmask(SIG_BLOCK, &mask, nil)
    }

    /// Blocks the calling thread until one of the blocked signals arrives.
    public static func wait() -> Received {
        var mask = set()
        while true {
            var number: Int32 = 0
            guard sigwait(&mask, &number) == 0 else { continue }
            switch number {
            case SIGTERM: return .terminate
            case SIGINT: return .interrupt
            case SIGHUP: return .hangup
            default: continue
            }
        }
    }
}
