#if canImport(Glibc)
import Glibc
#endif

/// Seconds since 1970 on `CLOCK_REALTIME`, for what is dated by the wall clock (a token's `exp`,
/// a vendor's date rules): read from the vDSO without Foundation's `Date`, once per request.
public enum WallClock {
    @inlinable
    public static func secondsSince1970() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
    }
}
