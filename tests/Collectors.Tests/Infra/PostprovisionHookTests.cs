using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Infra;

/// <summary>
/// Runs infra/hooks/postprovision.sh against a stand-in <c>az</c> that answers like Microsoft Graph and
/// Key Vault (the real ones cannot be reached here) and a stand-in <c>azd</c>, and records every call.
/// </summary>
[TestClass]
public sealed class PostprovisionHookTests
{
    private const string AuditLogReadAll = "b0afded3-3588-46d8-8b3d-9842eff778da";
    private const string MailSend = "b633e1c5-b582-4048-a93e-9f11b44c7e96";
    private const string KeyId = "https://kv-test.vault.azure.net/keys/evidence-signing";

    private static readonly Lazy<SigningKey> s_key = new(SigningKey.CreateWithBothBase64Alphabets);

    [TestMethod]
    public void ByDefaultGrantsOnlyAuditLogReadAllAndLeavesMailSendToExchange()
    {
        var run = RunHook(existing: []);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        var posts = run.Calls.Where(c => c.Contains("--method POST", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, posts, string.Join(Environment.NewLine, run.Calls));
        StringAssert.Contains(posts[0], $"\"appRoleId\":\"{AuditLogReadAll}\"");
        StringAssert.Contains(posts[0], "\"resourceId\":\"graph-sp\"");
        StringAssert.Contains(run.Output, "MAIL_SEND_SCOPE=mailbox, the default");
        StringAssert.Contains(run.Output, "New-ManagementRoleAssignment -App mi-principal -Role 'Application Mail.Send' -CustomResourceScope 'Collectors summary sender'");
        Assert.DoesNotContain("ANY mailbox", run.Output);
    }

    [TestMethod]
    public void TenantScopeIsAnOptInThatGrantsMailSendInEntraAndWarns()
    {
        var run = RunHook(existing: [AuditLogReadAll], environment: new() { ["MAIL_SEND_SCOPE"] = "tenant" });

        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "AuditLog.Read.All is already granted.");
        StringAssert.Contains(run.Output, "granted Mail.Send.");
        StringAssert.Contains(run.Output, "WARNING: MAIL_SEND_SCOPE=tenant grants Mail.Send in Entra: the app may send mail as ANY mailbox");
        var posts = run.Calls.Where(c => c.Contains("--method POST", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, posts, string.Join(Environment.NewLine, run.Calls));
        StringAssert.Contains(posts[0], "/servicePrincipals/mi-principal/appRoleAssignments");
        StringAssert.Contains(posts[0], $"\"appRoleId\":\"{MailSend}\"");
    }

    [TestMethod]
    public void GrantsNothingWhenEveryRoleOfTheScopeIsAlreadyThere()
    {
        foreach (var (existing, scope) in new (string[] Existing, string? Scope)[] { ([AuditLogReadAll], null), ([AuditLogReadAll, MailSend], "tenant") })
        {
            var run = RunHook(existing: existing, environment: scope is null ? null : new() { ["MAIL_SEND_SCOPE"] = scope });

            Assert.AreEqual(0, run.ExitCode, run.Output);
            Assert.IsFalse(run.Calls.Any(c => c.Contains("--method POST", StringComparison.Ordinal)), string.Join(Environment.NewLine, run.Calls));
        }
    }

    [TestMethod]
    public void PrintsTheTenantAdminCommandsAndStillSucceedsWhenTheDeployerMayNotGrant()
    {
        var run = RunHook(existing: [], denyPosts: true);

        Assert.AreEqual(0, run.ExitCode, "a missing Entra admin right must not fail azd up");
        StringAssert.Contains(run.Output, "A tenant administrator");
        StringAssert.Contains(run.Output, $"\"appRoleId\":\"{AuditLogReadAll}\"");
        Assert.DoesNotContain($"\"appRoleId\":\"{MailSend}\"", run.Output, "Mail.Send is not granted in Entra by default");
        StringAssert.Contains(run.Output, "New-MgServicePrincipalAppRoleAssignment");
    }

    [TestMethod]
    public void TheDefaultMailboxScopeWarnsAboutATenantWideGrantThatWouldOverrideIt()
    {
        var run = RunHook(existing: [AuditLogReadAll, MailSend], environment: new() { ["SUMMARY_SENDER"] = "soc2@contoso.example" });

        Assert.AreEqual(0, run.ExitCode, run.Output);
        Assert.IsFalse(run.Calls.Any(c => c.Contains("--method POST", StringComparison.Ordinal)));
        StringAssert.Contains(run.Output, "Exchange mailbox scoping has no effect");
        StringAssert.Contains(run.Output, "appRoleAssignments/assignment-1");
        StringAssert.Contains(run.Output, "PrimarySmtpAddress -eq 'soc2@contoso.example'");
    }

    [TestMethod]
    public void RefusesAnUnknownMailSendScopeNamingBothChoices()
    {
        var run = RunHook(existing: [], environment: new() { ["MAIL_SEND_SCOPE"] = "everyone" });

        Assert.AreEqual(1, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "MAIL_SEND_SCOPE must be 'mailbox' (the default: the summary sender only) or 'tenant' (any mailbox), not 'everyone'");
        Assert.IsFalse(run.Calls.Any(c => c.Contains("--method POST", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void PrintsTheSigningKeysJwkThumbprintForAuditorsAndStoresItInTheAzdEnvironment()
    {
        var key = s_key.Value;

        var run = RunHook(existing: [AuditLogReadAll]);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        Assert.Contains($"keyvault key show --id {KeyId} --query [key.kid, key.kty, key.crv, key.x, key.y] -o tsv", run.Calls);
        StringAssert.Contains(run.Output, $"Evidence signing key: {KeyId}/0123456789abcdef");
        StringAssert.Contains(run.Output, $"JWK thumbprint (RFC 7638, SHA-256): {key.Thumbprint}");
        StringAssert.Contains(run.Output, $"collectors verify --trusted-key {key.Thumbprint}");
        CollectionAssert.AreEqual(new[] { $"env set EVIDENCE_SIGNING_KEY_THUMBPRINT {key.Thumbprint}" }, run.AzdCalls.ToList());
        StringAssert.Contains(run.Output, "Stored in the azd environment as EVIDENCE_SIGNING_KEY_THUMBPRINT.");
        Assert.DoesNotContain("WARNING: the signing key changed", run.Output);
    }

    [TestMethod]
    public void TheThumbprintIsTheSameWhicheverBase64AlphabetAzPrintsTheCoordinatesIn()
    {
        var key = s_key.Value;

        var run = RunHook(existing: [AuditLogReadAll], keyFields: ["https://kv-test.vault.azure.net/keys/evidence-signing/1", "EC", "P-256", key.XBase64Url, key.YBase64Url]);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, $"JWK thumbprint (RFC 7638, SHA-256): {key.Thumbprint}");
    }

    [TestMethod]
    public void WarnsWhenTheSigningKeyIsNotTheOneWhoseThumbprintWasStoredBefore()
    {
        var key = s_key.Value;

        var same = RunHook(existing: [AuditLogReadAll], environment: new() { ["EVIDENCE_SIGNING_KEY_THUMBPRINT"] = key.Thumbprint });
        var changed = RunHook(existing: [AuditLogReadAll], environment: new() { ["EVIDENCE_SIGNING_KEY_THUMBPRINT"] = "previous-thumbprint" });

        Assert.DoesNotContain("WARNING: the signing key changed", same.Output);
        StringAssert.Contains(changed.Output, "WARNING: the signing key changed: the previous thumbprint was previous-thumbprint.");
        Assert.AreEqual(0, changed.ExitCode);
    }

    [TestMethod]
    public void WaitsForTheDeployersKeyReadRoleAndThenPrintsTheThumbprint()
    {
        var run = RunHook(existing: [AuditLogReadAll], keyReadFailures: 1);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        Assert.HasCount(2, run.Calls.Where(c => c.StartsWith("keyvault key show", StringComparison.Ordinal)).ToList());
        StringAssert.Contains(run.Output, $"JWK thumbprint (RFC 7638, SHA-256): {s_key.Value.Thumbprint}");
    }

    [TestMethod]
    public void ComputesNoThumbprintForAKeyThatIsNotEcP256AndStillSucceeds()
    {
        var key = s_key.Value;

        var run = RunHook(existing: [AuditLogReadAll], keyFields: [KeyId + "/1", "EC", "P-384", key.XBase64, key.YBase64]);

        Assert.AreEqual(0, run.ExitCode, "the app is deployed; a missing thumbprint must not fail azd up");
        StringAssert.Contains(run.Output, "expected an EC P-256 key");
        Assert.DoesNotContain("JWK thumbprint", run.Output);
        Assert.IsEmpty(run.AzdCalls.ToList());
    }

    [TestMethod]
    public void SaysHowToGetTheThumbprintLaterWhenTheCliIsNotSignedIn()
    {
        var run = RunHook(existing: [], signedIn: false);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, $"Evidence signing key {KeyId}: the Azure CLI is missing or not signed in");
        StringAssert.Contains(run.Output, "azd hooks run postprovision");
        Assert.IsFalse(run.Calls.Any(c => c.StartsWith("keyvault", StringComparison.Ordinal)));
    }

    private sealed record HookRun(int ExitCode, string Output, IReadOnlyList<string> Calls, IReadOnlyList<string> AzdCalls);

    /// <summary>A P-256 public key, its coordinates in both base64 alphabets, and its RFC 7638 thumbprint.</summary>
    private sealed record SigningKey(string XBase64, string YBase64, string XBase64Url, string YBase64Url, string Thumbprint)
    {
        /// <summary>
        /// A fresh key whose coordinates both contain '+' or '/' in standard base64, so that the hook's
        /// translation to base64url is exercised (az has printed either alphabet over its versions).
        /// </summary>
        public static SigningKey CreateWithBothBase64Alphabets()
        {
            while (true)
            {
                using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var q = ecdsa.ExportParameters(includePrivateParameters: false).Q;
                string x = Convert.ToBase64String(q.X!), y = Convert.ToBase64String(q.Y!);
                if (x.IndexOfAny(['+', '/']) < 0 || y.IndexOfAny(['+', '/']) < 0)
                {
                    continue;
                }

                string xUrl = Base64Url.EncodeToString(q.X), yUrl = Base64Url.EncodeToString(q.Y);
                var canonical = $$"""{"crv":"P-256","kty":"EC","x":"{{xUrl}}","y":"{{yUrl}}"}""";
                return new SigningKey(x, y, xUrl, yUrl, Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
            }
        }
    }

    private static HookRun RunHook(
        string[] existing,
        bool denyPosts = false,
        Dictionary<string, string>? environment = null,
        string[]? keyFields = null,
        int keyReadFailures = 0,
        bool signedIn = true)
    {
        var key = s_key.Value;
        keyFields ??= [KeyId + "/0123456789abcdef", "EC-HSM", "P-256", key.XBase64, key.YBase64];
        var directory = Directory.CreateTempSubdirectory("collectors-hook-").FullName;
        try
        {
            var log = Path.Combine(directory, "calls.log");
            var azdLog = Path.Combine(directory, "azd.log");
            var keyReads = Path.Combine(directory, "key-reads");
            var assignments = string.Concat(existing.Select((role, i) => $"printf '%s\\t%s\\n' '{role}' 'assignment-{i}'; "));
            var fields = string.Join(' ', keyFields.Select(f => $"'{f}'"));
            WriteExecutable(Path.Combine(directory, "az"), $$"""
                #!/bin/sh
                echo "$*" >> '{{log}}'
                case "$*" in
                  "account show"*) {{(signedIn ? "echo '{}'" : "echo 'Please run az login' >&2; exit 1")}} ;;
                  "cloud show"*) echo 'https://graph.microsoft.com/' ;;
                  *"servicePrincipals(appId="*) echo 'graph-sp' ;;
                  *"GET"*"appRoleAssignments"*) {{assignments}}true ;;
                  *"appRoles"*"AuditLog.Read.All"*) echo '{{AuditLogReadAll}}' ;;
                  *"appRoles"*"Mail.Send"*) echo '{{MailSend}}' ;;
                  *"POST"*) {{(denyPosts ? "echo 'Forbidden' >&2; exit 1" : "echo '{}'")}} ;;
                  "keyvault key show --id {{KeyId}} "*)
                    echo x >> '{{keyReads}}'
                    if [ "$(wc -l < '{{keyReads}}')" -le {{keyReadFailures}} ]; then echo '(Forbidden) Caller is not authorized' >&2; exit 1; fi
                    printf '%s\n' {{fields}} ;;
                  *) echo "unexpected az call: $*" >&2; exit 3 ;;
                esac
                """);
            WriteExecutable(Path.Combine(directory, "azd"), $$"""
                #!/bin/sh
                echo "$*" >> '{{azdLog}}'
                """);

            var info = new ProcessStartInfo("sh")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = RepositoryRoot.Path,
            };
            info.ArgumentList.Add(Path.Combine(RepositoryRoot.Path, "infra", "hooks", "postprovision.sh"));
            info.Environment["PATH"] = directory + ":" + Environment.GetEnvironmentVariable("PATH");
            info.Environment["AZURE_MANAGED_IDENTITY_PRINCIPAL_ID"] = "mi-principal";
            info.Environment["AZURE_MANAGED_IDENTITY_CLIENT_ID"] = "mi-client";
            info.Environment["EVIDENCE_SIGNING_KEY_ID"] = KeyId;
            foreach (var name in new[] { "MAIL_SEND_SCOPE", "SUMMARY_SENDER", "EVIDENCE_SIGNING_KEY_THUMBPRINT" })
            {
                info.Environment.Remove(name);
            }

            foreach (var (name, value) in environment ?? [])
            {
                info.Environment[name] = value;
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the hook did not finish");
            return new HookRun(
                process.ExitCode,
                output.Result + error.Result,
                File.Exists(log) ? File.ReadAllLines(log) : [],
                File.Exists(azdLog) ? File.ReadAllLines(azdLog) : []);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void WriteExecutable(string path, string script)
    {
        File.WriteAllText(path, script.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
