/// "Did you mean" for misspelt keys and names.
///
/// Most unknown keys are typos (`maxHeaderByte`, `privatekey`), and naming the intended key turns a
/// puzzle into a one-character fix. Case is ignored and only candidates within two edits are offered,
/// so an unrelated key gets no misleading guess.
enum KeySuggestion {
    static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        let target = Array(word.lowercased().unicodeScalars)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased().unicodeScalars))
            if distance <= 2, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Levenshtein distance with one rolling row; keys are short, so this costs nothing.
    private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        var previous = Array(0...b.count)
        for (i, scalarA) in a.enumerated() {
            var current = [i + 1]
            for (j, scalarB) in b.enumerated() {
                let substitution = previous[j] + (scalarA == scalarB ? 0 : 1)
                current.append(min(substitution, previous[j + 1] + 1, current[j] + 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
