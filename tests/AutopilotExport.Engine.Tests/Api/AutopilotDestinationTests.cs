using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Api;

public class AutopilotDestinationTests
{
    private static readonly AutopilotDestination Destination = new(new AutopilotApiClient(new Uri("http://127.0.0.1:9/v1"), "k"));

    private static MappedProfile Profile(string email, string text) => new(email, null,
        new[] { new KeyValuePair<string, FieldValue>("FirstName", FieldValue.FromString(text)), new KeyValuePair<string, FieldValue>("unsubscribed", FieldValue.FromBoolean(true)) },
        new[] { new KeyValuePair<string, FieldValue>("string--Loyalty--Tier", FieldValue.FromString(text)), new KeyValuePair<string, FieldValue>("float--Score", FieldValue.FromFloat(-1.2345678901234567e-300)) });

    [Theory]
    [InlineData("plain ascii")]
    [InlineData("quotes \" and \\ backslashes \\\\ \"\"")]
    [InlineData("control \u0001\u0002\n\r\t characters")]
    [InlineData("Zoë Ångström 東京 and 🎉 emoji")]
    [InlineData("")]
    public void The_batch_byte_bound_is_never_below_the_bytes_actually_sent(string text)
    {
        var listId = "contactlist_" + Guid.NewGuid().ToString().ToUpperInvariant();
        var contacts = Enumerable.Range(0, 100).Select(i => new OutgoingContact(Destination.EncodeContact(Profile($"user{i}@example.com", text + i)), listId)).ToArray();
        var sent = Destination.BuildPayload(contacts).Count;
        var bound = Destination.BatchOverheadBytes + contacts.Sum(c => c.Contact.Length + Destination.ContactOverheadBytes);
        // Exact but for the room kept for list ids up to 128 bytes: this one has 48, and the first contact has no comma.
        Assert.InRange(bound, sent, sent + 100 * (128 - 48) + 1);
    }

    [Fact]
    public void A_rejection_reason_leaves_out_the_position_and_the_other_items()
    {
        var first = new AutopilotApiException(400, "POST /contacts: 400", apiMessage: "contacts[0]: custom key 'string--A\tB' contains white space; write each space as --; contacts[1]: custom key 'string--A\tB' contains white space; write each space as --");
        var later = new AutopilotApiException(400, "POST /contacts: 400", apiMessage: "contacts[0]: custom key 'string--A\tB' contains white space; write each space as --");
        Assert.Equal(Destination.RejectionReason(first), Destination.RejectionReason(later));
        Assert.Equal(0, Destination.RejectedIndex(first, 2));
        Assert.Null(Destination.RejectedIndex(new AutopilotApiException(400, "x", apiMessage: "contacts[5]: bad"), 5));
        Assert.NotEqual(Destination.RejectionReason(later),
            Destination.RejectionReason(new AutopilotApiException(400, "x", apiMessage: "contacts[0]: invalid email 'a@b.invalid' (reserved domain .invalid)")));
    }
}
