using System.Diagnostics;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Infra;

/// <summary>
/// Runs infra/hooks/postprovision.sh against a stand-in <c>az</c> that answers like Microsoft Graph
/// (the real one cannot be reached here) and records every call.
/// </summary>
[TestClass]
public sealed class PostprovisionHookTests
{
    private const string AuditLogReadAll = "b0afded3-3588-46d8-8b3d-9842eff778da";
    private const string MailSend = "b633e1c5-b582-4048-a93e-9f11b44c7e96";

    [TestMethod]
    public void GrantsOnlyTheGraphRolesTheIdentityDoesNotHaveYet()
    {
        var run = RunHook(existing: [AuditLogReadAll]);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "AuditLog.Read.All is already granted.");
        StringAssert.Contains(run.Output, "granted Mail.Send.");
        var posts = run.Calls.Where(c => c.Contains("--method POST", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, posts, string.Join(Environment.NewLine, run.Calls));
        StringAssert.Contains(posts[0], "/servicePrincipals/mi-principal/appRoleAssignments");
        StringAssert.Contains(posts[0], $"\"appRoleId\":\"{MailSend}\"");
        StringAssert.Contains(posts[0], "\"resourceId\":\"graph-sp\"");
    }

    [TestMethod]
    public void GrantsNothingWhenEveryRoleIsAlreadyThere()
    {
        var run = RunHook(existing: [AuditLogReadAll, MailSend]);

        Assert.AreEqual(0, run.ExitCode, run.Output);
        Assert.IsFalse(run.Calls.Any(c => c.Contains("--method POST", StringComparison.Ordinal)), string.Join(Environment.NewLine, run.Calls));
    }

    [TestMethod]
    public void PrintsTheTenantAdminCommandsAndStillSucceedsWhenTheDeployerMayNotGrant()
    {
        var run = RunHook(existing: [], denyPosts: true);

        Assert.AreEqual(0, run.ExitCode, "a missing Entra admin right must not fail azd up");
        StringAssert.Contains(run.Output, "A tenant administrator");
        StringAssert.Contains(run.Output, $"\"appRoleId\":\"{AuditLogReadAll}\"");
        StringAssert.Contains(run.Output, $"\"appRoleId\":\"{MailSend}\"");
        StringAssert.Contains(run.Output, "New-MgServicePrincipalAppRoleAssignment");
    }

    [TestMethod]
    public void MailboxScopeLeavesMailSendToExchangeAndWarnsAboutATenantWideGrant()
    {
        var run = RunHook(existing: [AuditLogReadAll, MailSend], environment: new() { ["MAIL_SEND_SCOPE"] = "mailbox", ["SUMMARY_SENDER"] = "soc2@contoso.example" });

        Assert.AreEqual(0, run.ExitCode, run.Output);
        Assert.IsFalse(run.Calls.Any(c => c.Contains("--method POST", StringComparison.Ordinal)));
        StringAssert.Contains(run.Output, "Exchange mailbox scoping has no effect");
        StringAssert.Contains(run.Output, "appRoleAssignments/assignment-1");
        StringAssert.Contains(run.Output, "New-ManagementRoleAssignment -App mi-principal -Role 'Application Mail.Send' -CustomResourceScope 'Collectors summary sender'");
        StringAssert.Contains(run.Output, "PrimarySmtpAddress -eq 'soc2@contoso.example'");
    }

    private sealed record HookRun(int ExitCode, string Output, IReadOnlyList<string> Calls);

    private static HookRun RunHook(string[] existing, bool denyPosts = false, Dictionary<string, string>? environment = null)
    {
        var directory = Directory.CreateTempSubdirectory("collectors-hook-").FullName;
        try
        {
            var log = Path.Combine(directory, "calls.log");
            var assignments = string.Concat(existing.Select((role, i) => $"printf '%s\\t%s\\n' '{role}' 'assignment-{i}'; "));
            File.WriteAllText(Path.Combine(directory, "az"), $$"""
                #!/bin/sh
                echo "$*" >> '{{log}}'
                case "$*" in
                  "account show"*) echo '{}' ;;
                  "cloud show"*) echo 'https://graph.microsoft.com/' ;;
                  *"servicePrincipals(appId="*) echo 'graph-sp' ;;
                  *"GET"*"appRoleAssignments"*) {{assignments}}true ;;
                  *"appRoles"*"AuditLog.Read.All"*) echo '{{AuditLogReadAll}}' ;;
                  *"appRoles"*"Mail.Send"*) echo '{{MailSend}}' ;;
                  *"POST"*) {{(denyPosts ? "echo 'Forbidden' >&2; exit 1" : "echo '{}'")}} ;;
                  *) echo "unexpected az call: $*" >&2; exit 3 ;;
                esac
                """.Replace("\r\n", "\n", StringComparison.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(directory, "az"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

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
            info.Environment.Remove("MAIL_SEND_SCOPE");
            info.Environment.Remove("SUMMARY_SENDER");
            foreach (var (key, value) in environment ?? [])
            {
                info.Environment[key] = value;
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(1)), "the hook did not finish");
            var calls = File.Exists(log) ? File.ReadAllLines(log) : [];
            return new HookRun(process.ExitCode, output.Result + error.Result, calls);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
