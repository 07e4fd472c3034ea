/// Control Center's error catalogue, as its "Edit Device Details" document lists it
/// (its "Errors" table; docs/VENDORS.md), sorted by code. One row is not from that page:
/// 40000029, the answer past the documented 5 calls per second per account, which the page does
/// not list (docs/VENDORS.md gives the limit; the code and text are Control Center's general API
/// error list's).
///
/// The body is `{"errorMessage": message, "errorCode": code}`, `errorCode` a string.
struct ControlCenterError: Sendable, Equatable {
    let code: String
    let status: Int
    let message: String

    static let invalidCredentials = ControlCenterError(code: "10000001", status: 401, message: "Invalid credentials.")
    static let invalidStatus = ControlCenterError(code: "10000005", status: 400, message: "Invalid status.")
    static let noOperatorCustomerCustomFields = ControlCenterError(code: "10000008", status: 400, message: "Your role does not have access to operator and customer custom fields.")
    static let noAccountCustomFields = ControlCenterError(code: "10000009", status: 400, message: "Your role does not have access to account custom fields.")
    static let noCustomerCustomField = ControlCenterError(code: "10000010", status: 400, message: "Your role does not have access to customer custom field.")
    static let requiredFieldsMissing = ControlCenterError(code: "10000011", status: 400, message: "One or more required fields are missing.")
    static let invalidDateFormat = ControlCenterError(code: "10000012", status: 400, message: "Invalid date format.")
    static let invalidRatePlan = ControlCenterError(code: "10000013", status: 404, message: "Invalid ratePlan.")
    static let invalidCommunicationPlan = ControlCenterError(code: "10000014", status: 400, message: "Invalid communicationPlan.")
    static let invalidCustomer = ControlCenterError(code: "10000015", status: 400, message: "Invalid customer.")
    static let invalidOverageLimitOverride = ControlCenterError(code: "10000016", status: 400, message: "Invalid overageLimitOverride.")
    static let malformedJSON = ControlCenterError(code: "10000023", status: 400, message: "The JSON in the request is not well formed. Please ensure that commas, colons, braces etc. are formatted properly.")
    static let invalidAPIVersion = ControlCenterError(code: "10000024", status: 400, message: "Invalid apiVersion.")
    static let invalidDeviceID = ControlCenterError(code: "10000025", status: 400, message: "Invalid deviceID.")
    static let invalidModemID = ControlCenterError(code: "10000026", status: 400, message: "Invalid modemID.")
    static let invalidRequest = ControlCenterError(code: "10000028", status: 400, message: "Invalid request.")
    static let noReturnToPreActivation = ControlCenterError(code: "10000029", status: 400, message: "This SIM may not be moved back to a Pre Activation status.")
    static let noAccessToFunction = ControlCenterError(code: "10000030", status: 400, message: "Your role does not have access to this API function.")
    static let invalidZone = ControlCenterError(code: "10000031", status: 400, message: "Invalid Zone.")
    static let addressInUse = ControlCenterError(code: "10000517", status: 400, message: "The ipv4Address/ipv6Address is already in use, please assign a different one.")
    static let alreadyActivated = ControlCenterError(code: "10030000", status: 400, message: "Cannot activate a SIM which is already activated.")
    static let invalidICCID = ControlCenterError(code: "20000001", status: 404, message: "Resource not found - Invalid ICCID.")
    static let unknownServerError = ControlCenterError(code: "30000001", status: 500, message: "Unknown server error.")
    static let rateLimitExceeded = ControlCenterError(code: "40000029", status: 429, message: "Rate Limit Exceeded")

    /// Every row, sorted by code.
    static let catalogue: [ControlCenterError] = [
        invalidCredentials, invalidStatus, noOperatorCustomerCustomFields, noAccountCustomFields,
        noCustomerCustomField, requiredFieldsMissing, invalidDateFormat, invalidRatePlan,
        invalidCommunicationPlan, invalidCustomer, invalidOverageLimitOverride, malformedJSON,
        invalidAPIVersion, invalidDeviceID, invalidModemID, invalidRequest, noReturnToPreActivation,
        noAccessToFunction, invalidZone, addressInUse, alreadyActivated, invalidICCID,
        unknownServerError, rateLimitExceeded,
    ]

    static func withCode(_ code: String) -> ControlCenterError? {
        catalogue.first { $0.code == code }
    }

    /// The row a bare status stands for, for injected errors that name only a status.
    static func forStatus(_ status: Int) -> ControlCenterError? {
        switch status {
        case 400: invalidRequest
        case 401: invalidCredentials
        case 404: invalidICCID
        case 429: rateLimitExceeded
        case 500: unknownServerError
        default: nil
        }
    }
}
