using Xunit;
using static AutopilotEmulator.Tests.Api;

namespace AutopilotEmulator.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_bulk_upserts_of_overlapping_emails_make_one_contact_per_email()
    {
        await using var api = await Api.StartAsync();
        var list = await api.CreateList("Seg");
        var emails = Enumerable.Range(0, 200).Select(i => $"c{i}@example.com").ToArray();
        var rnd = new Random(1);
        var batches = Enumerable.Range(0, 40).Select(b =>
            Enumerable.Range(0, 100).Select(_ => emails[rnd.Next(emails.Length)]).Distinct()
                .Select(e => Contact(b % 2 == 0 ? e : e.ToUpperInvariant(), ("FirstName", "B" + b), ("_autopilot_list", list),
                    ("custom", new Raw("{\"integer--Batch\":" + b + "}")))).ToList()).ToList();

        var answers = await Task.WhenAll(batches.Select(b => api.Bulk(b)));
        Assert.All(answers, r => Assert.Equal(200, r.Code));

        var contacts = api.Host.Contacts();
        int distinctSent = batches.SelectMany(b => b).Select(c => System.Text.Json.JsonDocument.Parse(c).RootElement.GetProperty("Email").GetString()!.ToLowerInvariant()).Distinct().Count();
        Assert.Equal(distinctSent, contacts.Count);
        Assert.Equal(contacts.Count, contacts.Select(c => c.Email.ToLowerInvariant()).Distinct().Count());
        Assert.Equal(contacts.Count, Assert.Single(api.Host.Lists()).ContactCount);

        // Every answer's ids agree with the store.
        var byEmail = contacts.ToDictionary(c => c.Email, c => c.ContactId, StringComparer.OrdinalIgnoreCase);
        foreach (var r in answers)
            foreach (var p in r.Json.GetProperty("email_contact_map").EnumerateObject())
                Assert.Equal(byEmail[p.Name], p.Value.GetString());
        Assert.Equal(batches.Sum(b => b.Count), api.Host.Stats().ContactsWritten);
    }
}
