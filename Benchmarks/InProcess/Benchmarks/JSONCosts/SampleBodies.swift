/// The bodies the JSON benchmarks read and write, realistic in size and shape (identifiers and
/// strings, a nested group or two). Made here rather than read from a file so that a bulk body's
/// items differ as a client's would, without a 30 KB fixture to keep.
enum SampleBodies {
    /// A device document of about 300 bytes, with its `id` as an answer or a bulk item carries it.
    static func device(iccid: String) -> String {
        #"{"id":"iccid:\#(iccid)","iccid":"\#(iccid)","imei":"356938035643809","imsi":"310150123456789","#
            + #""msisdn":"+15550100001","ipv4":"10.20.0.11","apn":"iot.example","#
            + #""sim":{"status":"ACTIVATED","ratePlan":"Standard 5GB","communicationPlan":"LTE-M Fixed IP"},"#
            + #""user":{"id":"alice","class":"premium"}}"#
    }

    /// A bulk `PATCH /devices` body: `devices` distinct device documents.
    static func bulk(devices: Int) -> String {
        let items = (0..<devices).map { index in
            let suffix = String(index)
            return device(iccid: "89882167169700" + String(repeating: "0", count: 5 - suffix.count) + suffix)
        }
        return #"{"devices":["# + items.joined(separator: ",") + "]}"
    }
}
