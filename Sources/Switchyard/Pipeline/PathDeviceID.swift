import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO

/// A device id as the path names it (`/devices/iccid:8988…`), read from the head's bytes once:
/// percent-decoded, and split at its kind when the text before its first colon names one, so that
/// a typed id's value is the only text made of it (a `CompactString`: an ICCID is held in place,
/// not allocated). Typing and checking it is the device
/// layer's job, once the tenant's vendor is known (`DeviceIdentifier.parse(named:_:primary:)`).
public struct PathDeviceID: Equatable, Sendable {
    /// The kind named before the first colon, when the text before it names one.
    public let kind: IdentifierKind?
    /// What follows `kind:`, or the whole id when it names no kind; nil when the path's bytes are
    /// not valid percent-encoded UTF-8, which `translate` refuses (400) after the credential.
    public let text: CompactString?

    init(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.containsByte(UInt8(ascii: "%")) else {
            // Not UTF-8 without escapes: repaired, as the path's text would have been.
            self.init(decoded: bytes)
            return
        }
        guard let decoded = PercentEncoding.decode(bytes), String(validating: decoded, as: UTF8.self) != nil else {
            self.init(kind: nil, text: nil)
            return
        }
        self = decoded.withUnsafeBytes { PathDeviceID(decoded: $0) }
    }

    private init(decoded bytes: UnsafeRawBufferPointer) {
        if case (let colon?, let named?) = DeviceIdentifier.kindPrefix(bytes) {
            self.init(kind: named, text: CompactString(decoding: UnsafeRawBufferPointer(rebasing: bytes[(colon + 1)...])))
        } else {
            self.init(kind: nil, text: CompactString(decoding: bytes))
        }
    }

    private init(kind: IdentifierKind?, text: CompactString?) {
        self.kind = kind
        self.text = text
    }
}
