using System;
using System.Collections.Generic;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace AutopilotEmulator;

/// <summary>Builds the emulator's web application; used by both <see cref="EmulatorHost"/> and the command line.</summary>
internal static class EmulatorApp
{
    public static WebApplication Build(EmulatorState st, IReadOnlyList<IPEndPoint> endpoints, bool consoleLogging)
    {
        if (endpoints.Count == 0) throw new ArgumentException("At least one address to listen on is needed.");
        foreach (var ep in endpoints)
            if (!IPAddress.IsLoopback(ep.Address))
                throw new ArgumentException($"Refusing to bind the non-loopback address {ep}: the emulator listens on loopback only.");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(EmulatorApp).Assembly.GetName().Name,
            Args = Array.Empty<string>(),
        });
        builder.Logging.ClearProviders();
        if (consoleLogging) builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = st.MaxBodyBytes + 1L;
            foreach (var ep in endpoints) k.Listen(ep);
        });

        var app = builder.Build();
        app.UseRouting();
        var middleware = new EmulatorMiddleware(st);
        app.Use((ctx, next) => middleware.InvokeAsync(ctx, next));

        // The contract's routes.
        Api(app, st, "GET", "/v1/account", ApiHandlers.Account);
        Api(app, st, "POST", "/v1/contact", ApiHandlers.PostContact);
        Api(app, st, "POST", "/v1/contacts", ApiHandlers.PostContacts);
        Api(app, st, "GET", "/v1/contact/{idOrEmail}", ApiHandlers.GetContact);
        Api(app, st, "DELETE", "/v1/contact/{idOrEmail}", ApiHandlers.DeleteContact);
        Api(app, st, "POST", "/v1/contact/{idOrEmail}/unsubscribe", ApiHandlers.Unsubscribe);
        Api(app, st, "GET", "/v1/contacts", ApiHandlers.GetContacts);
        Api(app, st, "GET", "/v1/contacts/custom_fields", ApiHandlers.GetCustomFields);
        Api(app, st, "GET", "/v1/contacts/{bookmark}", ApiHandlers.GetContacts);
        Api(app, st, "GET", "/v1/lists", ApiHandlers.GetLists);
        Api(app, st, "POST", "/v1/list", ApiHandlers.PostList);
        Api(app, st, "GET", "/v1/list/{listId}/contact/{idOrEmail}", ApiHandlers.ListHasContact);
        Api(app, st, "POST", "/v1/list/{listId}/contact/{idOrEmail}", ApiHandlers.AddToList);
        Api(app, st, "DELETE", "/v1/list/{listId}/contact/{idOrEmail}", ApiHandlers.RemoveFromList);
        Api(app, st, "GET", "/v1/list/{listId}/contacts", ApiHandlers.GetListContacts);
        Api(app, st, "GET", "/v1/list/{listId}/contacts/{bookmark}", ApiHandlers.GetListContacts);

        // Inspection (no key, loopback only).
        Inspect(app, st, "GET", "/__emulator/contacts", InspectionHandlers.Contacts);
        Inspect(app, st, "GET", "/__emulator/lists", InspectionHandlers.Lists);
        Inspect(app, st, "GET", "/__emulator/stats", InspectionHandlers.Stats);
        Inspect(app, st, "GET", "/__emulator/requests", InspectionHandlers.Requests);
        Inspect(app, st, "POST", "/__emulator/reset", InspectionHandlers.Reset);
        Inspect(app, st, "GET", "/__emulator/config", InspectionHandlers.GetConfig);
        Inspect(app, st, "POST", "/__emulator/config", InspectionHandlers.PostConfig);
        return app;
    }

    private static void Api(WebApplication app, EmulatorState st, string method, string pattern, Func<HttpContext, EmulatorState, Task> handler) =>
        app.MapMethods(pattern, new[] { method }, (RequestDelegate)(ctx => handler(ctx, st)))
           .WithMetadata(new ApiRouteMetadata(pattern));

    private static void Inspect(WebApplication app, EmulatorState st, string method, string pattern, Func<HttpContext, EmulatorState, Task> handler) =>
        app.MapMethods(pattern, new[] { method }, (RequestDelegate)(ctx => handler(ctx, st)));
}
