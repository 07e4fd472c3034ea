import SwitchyardIO

/// The member names a loop's documents had, handed out again when the same name comes back.
///
/// A vendor's answers and a client's device documents repeat the same few names on every call.
/// Making a `String` of one costs about 150 instructions even when it fits in place (15 bytes: its
/// bytes are validated and measured once more), and one longer than that is an allocation (gate's
/// `user_external_id`). So a name of up to `CompactString.inlineCapacity` bytes is looked up here by
/// its bytes first: in a set of two names chosen by a hash of them, the latest in front. A name that
/// finds neither takes the front and moves the front name back over the other, so names a client
/// makes up (any number, any collisions) cost what they cost without the table, a new `String`
/// each, and the table holds at most `2 × sets` names.
///
/// Two pointers to storage that `JSONObject.Pool` owns (`allocate()`, `deallocate()`), not a class
/// or arrays: the parser reads it on every name, and a reference read from it (the parser is
/// mutated as it goes) is retained and released around each read. Not thread-safe: one per loop.
struct MemberNames {
    /// A power of two. With two names a set, a vendor's answers and a device document together (some
    /// twenty names) rarely have three in one set.
    static let sets = 128

    private let keys: UnsafeMutablePointer<NameKey>
    private let names: UnsafeMutablePointer<String>

    /// An empty table, until `deallocate()`.
    static func allocate() -> MemberNames {
        let keys = UnsafeMutablePointer<NameKey>.allocate(capacity: 2 * sets)
        keys.initialize(repeating: NameKey(), count: 2 * sets)
        let names = UnsafeMutablePointer<String>.allocate(capacity: 2 * sets)
        names.initialize(repeating: "", count: 2 * sets)
        return MemberNames(keys: keys, names: names)
    }

    private init(keys: UnsafeMutablePointer<NameKey>, names: UnsafeMutablePointer<String>) {
        self.keys = keys
        self.names = names
    }

    /// Frees the table; no copy of it may be used after.
    func deallocate() {
        keys.deinitialize(count: 2 * Self.sets)
        keys.deallocate()
        names.deinitialize(count: 2 * Self.sets)
        names.deallocate()
    }

    /// The name spelt by `utf8` (valid UTF-8): the one kept when it was read before and is still
    /// here, else a new one, kept when it is short enough to keep.
    func name(_ utf8: UnsafeBufferPointer<UInt8>) -> String {
        guard utf8.count <= CompactString.inlineCapacity else { return String(decoding: utf8, as: UTF8.self) }
        let key = NameKey(UnsafeRawBufferPointer(utf8))
        let front = 2 &* (key.hash & (Self.sets &- 1))
        if keys[front] == key { return names[front] }
        if keys[front &+ 1] == key { return names[front &+ 1] }
        let name = String(decoding: utf8, as: UTF8.self)
        keys[front &+ 1] = keys[front]
        names[front &+ 1] = names[front]
        keys[front] = key
        names[front] = name
        return name
    }
}

/// Up to 31 bytes as four words and their count, which together spell them exactly: every byte lies
/// in a word, the words loaded from the front and from the back so that they overlap rather than run
/// past the end (sixteen bytes each way from 16 bytes up, eight from 8, and below that one
/// `shortWord`). Equal keys are equal bytes, so a kept name is handed out only for its own.
struct NameKey: Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var count = -1

    /// No bytes at all: equal to no key made from bytes.
    init() {}

    init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= CompactString.inlineCapacity, "a name key holds at most 31 bytes")
        count = bytes.count
        switch count {
        case 16...:
            words = (load(bytes, 0), load(bytes, 8), load(bytes, count &- 16), load(bytes, count &- 8))
        case 8...:
            words.0 = load(bytes, 0)
            words.1 = load(bytes, count &- 8)
        default:
            words.0 = bytes.shortWord(paddedWith: 0)
        }
    }

    private func load(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Mixed by a multiplication whose top bits depend on every bit of the words and the count.
    var hash: Int {
        let folded = words.0 ^ (words.1 &<< 29 | words.1 &>> 35) ^ words.2 &* 31 ^ (words.3 &<< 17 | words.3 &>> 47)
        return Int(truncatingIfNeeded: ((folded ^ UInt64(bitPattern: Int64(count))) &* 0x9E37_79B9_7F4A_7C15) &>> 32)
    }

    static func == (lhs: NameKey, rhs: NameKey) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3 && lhs.count == rhs.count
    }
}
