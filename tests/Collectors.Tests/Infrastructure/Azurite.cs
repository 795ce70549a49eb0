namespace Collectors.Tests.Infrastructure;

/// <summary>
/// The Azurite the suite shares. eng/test.sh starts one and passes its connection string in
/// COLLECTORS_TEST_STORAGE; a plain 'dotnet test' starts its own.
/// </summary>
[TestClass]
public static class Azurite
{
    private static AzuriteProcess? s_owned;

    public static string ConnectionString { get; private set; } = string.Empty;

    [AssemblyInitialize]
    public static void Start(TestContext context)
    {
        var given = Environment.GetEnvironmentVariable("COLLECTORS_TEST_STORAGE");
        if (!string.IsNullOrWhiteSpace(given))
        {
            ConnectionString = given;
            return;
        }

        s_owned = AzuriteProcess.Start();
        ConnectionString = s_owned.ConnectionString;
    }

    [AssemblyCleanup]
    public static void Stop() => s_owned?.Dispose();
}
