using System.Text;
using AutopilotExport.Engine.Api;

namespace AutopilotExport.Engine.Tests.Api;

/// <summary>The bulk call's answer is read with a Utf8JsonReader (issue 10); it keeps the serializer's rules.</summary>
public class BulkAnswerTests
{
    private static BulkUpsertResult Read(string json) => BulkAnswer.Read(Encoding.UTF8.GetBytes(json));

    private static AutopilotApiException Refused(string json) => Assert.Throws<AutopilotApiException>(() => Read(json));

    [Fact]
    public void Reads_the_map_and_counts_the_ids_skipping_what_it_does_not_know()
    {
        var r = Read("{\"extra\":{\"a\":[1,{\"b\":null}]},\"contact_ids\":[\"person_1\",\"person_2\",{\"odd\":1}],\"email_contact_map\":{\"Ada@Example.com\":\"person_1\",\"b\\u0040x.io\":\"person_2\"},\"more\":[]}");
        Assert.Equal(3, r.ContactIdCount);
        Assert.Equal(2, r.ConfirmedCount);
        Assert.Equal("person_2", r.EmailContactMap["b@x.io"]); // escapes are read as the serializer did
        Assert.True(r.Confirms("ada@example.COM")); // case-insensitive, as the API keys contacts
        Assert.False(r.Confirms("c@x.io"));
    }

    [Fact]
    public void A_later_duplicate_key_wins_and_null_ids_count_none()
    {
        var r = Read("\uFEFF{\"contact_ids\":null,\"email_contact_map\":{\"a@x.io\":\"person_1\",\"a@x.io\":\"person_9\"}}");
        Assert.Equal(0, r.ContactIdCount);
        Assert.Equal("person_9", r.EmailContactMap["a@x.io"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"email_contact_map\":{\"a@x.io\":\"person_1\"")]   // truncated
    [InlineData("{\"email_contact_map\":{\"a@x.io\":\"person_1\"}} x")] // text after the object
    [InlineData("[1,2]")]
    [InlineData("{\"email_contact_map\":{\"a@x.io\":7}}")]             // an id that is not a string
    [InlineData("{\"email_contact_map\":[\"a@x.io\"]}")]
    [InlineData("{\"contact_ids\":5,\"email_contact_map\":{}}")]
    public void A_garbled_answer_is_a_malformed_200_worth_a_retry(string json)
    {
        var ex = Refused(json);
        Assert.True(ex.Malformed);
        Assert.Equal(0, ex.StatusCode);
        Assert.Contains("POST /contacts answered 200 with a body that is not valid JSON", ex.Message);
    }

    [Theory]
    [InlineData("{\"contact_ids\":[]}", "without an email_contact_map")]
    [InlineData("{\"email_contact_map\":null}", "without an email_contact_map")]
    [InlineData("null", "with an empty body")]
    public void An_answer_without_the_map_is_malformed(string json, string message)
    {
        var ex = Refused(json);
        Assert.True(ex.Malformed);
        Assert.Contains(message, ex.Message);
    }
}
