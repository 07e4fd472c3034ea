import Crypto
import SwitchyardRedis

/// A Lua script the gateway runs on the shared store: sent as `EVALSHA` (every new connection
/// `SCRIPT LOAD`s them all, `connectCommands`), and on a `NOSCRIPT` reply (a restarted or flushed
/// Redis) once more as `EVAL`, which caches it again. Scripts keep each decision atomic on the
/// server, so replicas never race one another.
public struct RedisScript: Sendable {
    public let source: String
    /// SHA-1 of `source`, hex, for `EVALSHA`.
    public let sha: String

    public init(_ source: String) {
        self.source = source
        sha = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// Every script the gateway runs, for `RedisClient`'s `connectCommands` (without them every
    /// first call per Redis start costs one `NOSCRIPT` round trip).
    public static var connectCommands: [[String]] {
        [RedisRateLimitStore.gcra, RedisRateLimitStore.gcraPair, RedisConcurrencyStore.acquire].map { ["SCRIPT", "LOAD", $0.source] }
    }

    /// Runs the script on `client`; the completion runs once, on the loop, never inside `run`.
    public func run(on client: RedisClient, keys: [String], arguments: [String],
                    completion: @escaping (Result<RESPValue, RedisError>) -> Void) {
        let tail = [String(keys.count)] + keys + arguments
        client.send(["EVALSHA", sha] + tail) { result in
            if case .failure(.server(let message)) = result, message.hasPrefix("NOSCRIPT") {
                // A reply callback, not inside `run`; `send` defers its own failures anyway.
                return client.send(["EVAL", source] + tail, completion: completion)
            }
            completion(result)
        }
    }
}
