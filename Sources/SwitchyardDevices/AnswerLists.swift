import SwitchyardJSON

/// A loop's free lists a vendor's answer is read into (`VendorAdapter.interpret`): the member lists
/// of its JSON's objects, handed back as soon as the adapter has read them, and the field lists of
/// the documents it confirms, handed back by the gateway once the client's answer is written.
public struct AnswerLists {
    public let objects: JSONObject.Pool
    public let documents: DeviceDocument.Pool

    public init(objects: JSONObject.Pool, documents: DeviceDocument.Pool) {
        self.objects = objects
        self.documents = documents
    }
}
