using System.Text.Json.Nodes;

namespace Collectors.Tests.Infra;

[TestClass]
public sealed class LeastPrivilegeTemplateTests
{
    private const string SubscriptionScope = "subscription";
    private const string WriterRoleName = "Collectors Evidence Writer";
    private const string SignerRoleName = "Collectors Evidence Signer";
    private const string LegalHoldAndRetention = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action";
    private const string ContainerWrite = "Microsoft.Storage/storageAccounts/blobServices/containers/write";

    [TestMethod]
    public void NoRoleThatCanGrantAccessOrOwnTheDataOrManageTheSigningKeyAppearsAnywhere()
    {
        var compiled = Deployments.Template.Root.ToJsonString();
        foreach (var (id, name) in BuiltInRoles.Forbidden)
        {
            Assert.DoesNotContain(id, compiled, StringComparison.OrdinalIgnoreCase, $"{name} ({id}) is in out/bicep/main.json");
        }

        foreach (var snapshot in Deployments.All)
        {
            var granted = snapshot.RoleAssignments.Select(a => a.RoleGuid.ToLowerInvariant()).ToList();
            Assert.IsNotEmpty(granted);
            foreach (var (id, name) in BuiltInRoles.Forbidden)
            {
                CollectionAssert.DoesNotContain(granted, id, $"{name} is assigned");
            }
        }
    }

    [TestMethod]
    public void TheAppIdentityHoldsExactlyTheStatedRolesAtTheNarrowestScopes()
    {
        var snapshot = Deployments.Defaults;

        var actual = snapshot.AssignmentsOf(snapshot.AppIdentity)
            .Select(a => $"{ScopeName(snapshot, a.Scope)} {RoleName(snapshot, a.RoleGuid)}")
            .Order(StringComparer.Ordinal)
            .ToList();

        string[] expected =
        [
            "application-insights Monitoring Metrics Publisher",
            $"evidence-account {WriterRoleName}",
            "runtime-account Storage Blob Data Contributor",
            "runtime-account Storage Queue Data Message Processor",
            "runtime-account Storage Queue Data Message Sender",
            "runtime-account Storage Queue Data Reader",
            $"signing-key {SignerRoleName}",
            $"{SubscriptionScope} {Deployments.DeploymentSubscriptionId} Reader",
            $"{SubscriptionScope} {Deployments.DeploymentSubscriptionId} Security Reader",
        ];
        CollectionAssert.AreEqual(expected.Order(StringComparer.Ordinal).ToList(), actual, string.Join(Environment.NewLine, actual));
    }

    [TestMethod]
    public void TheEvidenceWriterRoleCanSetLegalHoldsAndRetentionButCanDeleteNothing()
    {
        var snapshot = Deployments.Defaults;
        var role = CustomRole(snapshot, WriterRoleName);
        var permissions = role.Properties["permissions"]!.AsArray().OfType<JsonObject>().ToList();
        var actions = permissions.SelectMany(p => Strings(p["actions"])).ToList();
        var dataActions = permissions.SelectMany(p => Strings(p["dataActions"])).ToList();

        Assert.AreEqual("CustomRole", role.Properties["type"]!.GetValue<string>());
        // Exactly these and nothing more: a new permission must be argued for in evidenceStorage.bicep and here.
        CollectionAssert.AreEquivalent(
            new[] { "Microsoft.Storage/storageAccounts/blobServices/containers/read", ContainerWrite },
            actions,
            "containers/write: Set Blob Legal Hold (REST permission table)");
        CollectionAssert.AreEquivalent(
            new[]
            {
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
                LegalHoldAndRetention,
            },
            dataActions,
            "runAsSuperUser: Set Blob Immutability Policy / legal hold (ABAC action table)");
        foreach (var permission in permissions)
        {
            Assert.IsEmpty(Strings(permission["notActions"]).ToList());
            Assert.IsEmpty(Strings(permission["notDataActions"]).ToList());
        }

        foreach (var action in actions.Concat(dataActions))
        {
            Assert.DoesNotContain("*", action, $"no wildcards: {action}");
            Assert.DoesNotContain("delete", action, StringComparison.OrdinalIgnoreCase, $"the app never deletes: {action}");
            Assert.DoesNotContain("roleAssignments", action, StringComparison.OrdinalIgnoreCase, action);
        }

        var resourceGroup = snapshot.Single("Microsoft.Resources/resourceGroups");
        CollectionAssert.AreEqual(new[] { resourceGroup.Id }, Strings(role.Properties["assignableScopes"]).ToList());
        var assignment = snapshot.RoleAssignments.Single(a => a.RoleDefinitionId.Equals(role.Id, StringComparison.OrdinalIgnoreCase));
        Assert.AreEqual(snapshot.EvidenceAccount.Id, assignment.Scope, true, "assigned on the evidence account only, not the resource group");
        Assert.IsTrue(DeploymentSnapshot.IsPrincipalOf(assignment, snapshot.AppIdentity));
    }

    [TestMethod]
    public void TheEvidenceSignerRoleCanReadTheKeyAndSignWithItAndNothingElse()
    {
        foreach (var snapshot in Deployments.All)
        {
            var role = CustomRole(snapshot, SignerRoleName);
            var permissions = role.Properties["permissions"]!.AsArray().OfType<JsonObject>().ToList();

            Assert.AreEqual("CustomRole", role.Properties["type"]!.GetValue<string>());
            Assert.IsEmpty(permissions.SelectMany(p => Strings(p["actions"])).ToList(), "no control-plane action: the key cannot be changed, deleted or re-assigned");
            CollectionAssert.AreEquivalent(
                new[] { "Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/sign/action" },
                permissions.SelectMany(p => Strings(p["dataActions"])).ToList(),
                "read the public key and sign: not Key Vault Crypto User, which also encrypts, decrypts, wraps, unwraps, updates and backs up");

            var key = snapshot.Single("Microsoft.KeyVault/vaults/keys");
            var assignments = snapshot.RoleAssignments.Where(a => a.RoleDefinitionId.Equals(role.Id, StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.HasCount(1, assignments);
            Assert.AreEqual(key.Id, assignments[0].Scope, true, "on the key, not the vault or the resource group");
            Assert.IsTrue(DeploymentSnapshot.IsPrincipalOf(assignments[0], snapshot.AppIdentity));
            Assert.AreEqual("ServicePrincipal", assignments[0].PrincipalType);
            CollectionAssert.AreEqual(new[] { snapshot.Single("Microsoft.Resources/resourceGroups").Id }, Strings(role.Properties["assignableScopes"]).ToList());

            var signers = snapshot.OfType("Microsoft.Authorization/roleDefinitions")
                .Where(d => d.Properties["permissions"]!.AsArray().Any(p => Strings(p!["dataActions"]).Any(a => a.Contains("/sign/", StringComparison.OrdinalIgnoreCase))))
                .ToList();
            Assert.HasCount(1, signers, "only the signer role may sign");
            Assert.IsEmpty(snapshot.RoleAssignments.Where(a => a.RoleGuid == BuiltInRoles.KeyVaultCryptoUser).ToList(), "Key Vault Crypto User is not granted");
        }
    }

    // Legal holds: the platform has one permission for setting and clearing a hold (and for setting and
    // deleting per-blob retention), and no ABAC attribute tells them apart, so the writer that sets holds
    // can also clear them. What keeps evidence safe from that identity is asserted here: it can delete
    // nothing, nobody else gets hold rights or delete rights on the evidence, every blob version inherits
    // the account policy (per-blob policies, which start Unlocked, are off), and production locks it.
    [TestMethod]
    public void OnlyTheAppMaySetOrClearLegalHoldsAndOnlyOnTheEvidenceAccount()
    {
        foreach (var snapshot in Deployments.All)
        {
            var writer = CustomRole(snapshot, WriterRoleName);
            var holdRoles = snapshot.OfType("Microsoft.Authorization/roleDefinitions")
                .Where(d => d.Properties["permissions"]!.AsArray().Any(p => Strings(p!["dataActions"]).Concat(Strings(p!["actions"])).Any(a => a is LegalHoldAndRetention or ContainerWrite)))
                .Select(d => d.Id)
                .ToList();
            CollectionAssert.AreEqual(new[] { writer.Id }, holdRoles, "no other role definition carries legal-hold rights");

            var writerAssignments = snapshot.RoleAssignments.Where(a => a.RoleDefinitionId.Equals(writer.Id, StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.HasCount(1, writerAssignments);
            Assert.IsTrue(DeploymentSnapshot.IsPrincipalOf(writerAssignments[0], snapshot.AppIdentity));
            Assert.AreEqual(snapshot.EvidenceAccount.Id, writerAssignments[0].Scope, true);

            // Whatever is granted on the evidence account or above it (resource group, subscription) reads or writes; nothing deletes.
            var evidence = snapshot.EvidenceAccount.Id;
            var above = snapshot.RoleAssignments.Where(a => evidence.StartsWith(a.Scope, StringComparison.OrdinalIgnoreCase) && (evidence.Length == a.Scope.Length || evidence[a.Scope.Length] == '/')).ToList();
            Assert.IsNotEmpty(above);
            foreach (var assignment in above)
            {
                CollectionAssert.Contains(
                    new[] { writer.Name, BuiltInRoles.StorageBlobDataReader, BuiltInRoles.Reader, BuiltInRoles.SecurityReader },
                    assignment.RoleGuid,
                    $"{assignment.RoleGuid} at {assignment.Scope} reaches the evidence");
            }
        }
    }

    [TestMethod]
    public void EveryEvidenceVersionInheritsTheAccountPolicy()
    {
        foreach (var snapshot in Deployments.All)
        {
            Assert.AreEqual("0", snapshot.AppSettings["Evidence__ImmutabilityDays"]?.GetValue<string>(), "a per-blob policy starts Unlocked, even under a Locked account policy, and the writer could shorten it");
        }
    }

    [TestMethod]
    public void EveryMonitoredSubscriptionGrantsTheAppReaderAndSecurityReaderOnly()
    {
        var snapshot = Deployments.Multi;
        var bySubscription = snapshot.AssignmentsOf(snapshot.AppIdentity)
            .Where(a => a.Scope.Count(c => c == '/') == 2)
            .GroupBy(a => a.Scope.Split('/')[2])
            .ToDictionary(g => g.Key, g => g.Select(a => a.RoleGuid).Order(StringComparer.Ordinal).ToList());

        CollectionAssert.AreEquivalent(Deployments.MultiSubscriptionIds, bySubscription.Keys.ToList());
        foreach (var (subscription, roles) in bySubscription)
        {
            CollectionAssert.AreEqual(new[] { BuiltInRoles.Reader, BuiltInRoles.SecurityReader }.Order(StringComparer.Ordinal).ToList(), roles, subscription);
        }
    }

    [TestMethod]
    public void EverySubscriptionRoleACollectorDeclaresIsGrantedOnEveryMonitoredSubscription()
    {
        var snapshot = Deployments.Multi;
        var granted = snapshot.AssignmentsOf(snapshot.AppIdentity).Select(a => (a.Scope, a.RoleGuid)).ToHashSet();

        foreach (var collector in CollectorMetadata.All())
        {
            foreach (var (scope, role) in collector.Permissions.Where(p => p.Scope == SubscriptionScope))
            {
                Assert.IsTrue(BuiltInRoles.ByName.TryGetValue(role, out var roleId), $"{collector.Folder}/collector.json needs '{role}' on each subscription: grant it in infra/bicep/modules/subscriptionReader.bicep and name it in BuiltInRoles.ByName.");
                foreach (var subscription in Deployments.MultiSubscriptionIds)
                {
                    Assert.Contains(($"/subscriptions/{subscription}", roleId), granted, $"{collector.Folder} needs {role} on subscription {subscription}");
                }
            }
        }
    }

    [TestMethod]
    public void EveryRoleAssignmentIsNamedByGuidAndStatesItsPrincipalType()
    {
        foreach (var assignment in Deployments.Template.OfType("Microsoft.Authorization/roleAssignments"))
        {
            var name = assignment.Body["name"]!.GetValue<string>();
            Assert.StartsWith("[guid(", name, $"{assignment.ModulePath}: role assignment names are guid(scope, principal, role)");
            Assert.IsNotNull(assignment.Properties["principalType"], $"{assignment.ModulePath}: {name} has no explicit principalType");
        }

        foreach (var snapshot in Deployments.All)
        {
            foreach (var assignment in snapshot.RoleAssignments)
            {
                Assert.IsTrue(Guid.TryParse(assignment.Name, out _), assignment.Name);
                CollectionAssert.Contains(new[] { "ServicePrincipal", "User", "Group" }, assignment.PrincipalType, assignment.Name);
            }

            var names = snapshot.RoleAssignments.Select(a => a.Name).ToList();
            Assert.HasCount(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).ToList(), "role assignment names collide");
        }
    }

    [TestMethod]
    public void EachTopicMaySendOnlyToItsOwnQueueAndWriteOnlyTheDeadLetterContainer()
    {
        var snapshot = Deployments.Defaults;
        var runtime = snapshot.RuntimeAccount;
        var topics = snapshot.OfType("Microsoft.EventGrid/topics").Concat(snapshot.OfType("Microsoft.EventGrid/systemTopics")).ToList();
        Assert.HasCount(2, topics);

        foreach (var topic in topics)
        {
            var subscription = snapshot.Resources.Single(r => r.Type.EndsWith("/eventSubscriptions", StringComparison.Ordinal) && r.Id.StartsWith(topic.Id + "/", StringComparison.OrdinalIgnoreCase));
            var queue = subscription.Properties["deliveryWithResourceIdentity"]!["destination"]!["properties"]!["queueName"]!.GetValue<string>();
            var container = subscription.Properties["deadLetterWithResourceIdentity"]!["deadLetterDestination"]!["properties"]!["blobContainerName"]!.GetValue<string>();

            var actual = snapshot.AssignmentsOf(topic).Select(a => (a.Scope.ToLowerInvariant(), a.RoleGuid)).OrderBy(a => a.RoleGuid, StringComparer.Ordinal).ToList();
            var expected = new[]
            {
                ($"{runtime.Id}/queueServices/default/queues/{queue}".ToLowerInvariant(), BuiltInRoles.StorageQueueDataMessageSender),
                ($"{runtime.Id}/blobServices/default/containers/{container}".ToLowerInvariant(), BuiltInRoles.StorageBlobDataContributor),
            }.OrderBy(a => a.Item2, StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(expected, actual, topic.Name);
        }
    }

    [TestMethod]
    public void TheDeployerGetsReadOnlyEvidenceAndPublicKeyAccessAndNothingWhenNoPrincipalIsGiven()
    {
        foreach (var (snapshot, principal, type) in new[] { (Deployments.Defaults, "11111111-1111-1111-1111-111111111111", "User"), (Deployments.Production, "33333333-3333-3333-3333-333333333333", "Group") })
        {
            var deployer = snapshot.RoleAssignments.Where(a => a.PrincipalId == principal)
                .Select(a => $"{ScopeName(snapshot, a.Scope)} {RoleName(snapshot, a.RoleGuid)} {a.PrincipalType}")
                .Order(StringComparer.Ordinal)
                .ToList();

            CollectionAssert.AreEqual(
                new[] { $"evidence-account Storage Blob Data Reader {type}", $"signing-key Key Vault Reader {type}" },
                deployer,
                string.Join(Environment.NewLine, deployer));
        }

        var multi = Deployments.Multi;
        Assert.IsEmpty(multi.RoleAssignments.Where(a => a.RoleGuid is BuiltInRoles.StorageBlobDataReader or BuiltInRoles.KeyVaultReader).ToList());
    }

    [TestMethod]
    public void DrEventPublishersMaySendEventsToTheDrTopicOnly()
    {
        var snapshot = Deployments.Multi;
        var topic = snapshot.Single("Microsoft.EventGrid/topics");
        var publisher = snapshot.RoleAssignments.Single(a => a.PrincipalId == "22222222-2222-2222-2222-222222222222");

        Assert.AreEqual(BuiltInRoles.EventGridDataSender, publisher.RoleGuid);
        Assert.AreEqual(topic.Id, publisher.Scope, true);
        Assert.AreEqual("ServicePrincipal", publisher.PrincipalType);
    }

    private static IEnumerable<string> Strings(JsonNode? array) =>
        array?.AsArray().Select(a => a!.GetValue<string>()) ?? [];

    private static PredictedResource CustomRole(DeploymentSnapshot snapshot, string roleName) =>
        snapshot.Single("Microsoft.Authorization/roleDefinitions", r => r.Properties["roleName"]?.GetValue<string>().StartsWith(roleName + " (", StringComparison.Ordinal) == true);

    private static string ScopeName(DeploymentSnapshot snapshot, string scope)
    {
        if (scope.Equals(snapshot.EvidenceAccount.Id, StringComparison.OrdinalIgnoreCase))
        {
            return "evidence-account";
        }

        if (scope.Equals(snapshot.RuntimeAccount.Id, StringComparison.OrdinalIgnoreCase))
        {
            return "runtime-account";
        }

        if (scope.Equals(snapshot.Single("Microsoft.Insights/components").Id, StringComparison.OrdinalIgnoreCase))
        {
            return "application-insights";
        }

        if (scope.Equals(snapshot.Single("Microsoft.KeyVault/vaults/keys").Id, StringComparison.OrdinalIgnoreCase))
        {
            return "signing-key";
        }

        var parts = scope.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts is ["subscriptions", var id] ? $"{SubscriptionScope} {id}" : scope;
    }

    private static string RoleName(DeploymentSnapshot snapshot, string roleGuid)
    {
        foreach (var custom in new[] { WriterRoleName, SignerRoleName })
        {
            if (roleGuid.Equals(CustomRole(snapshot, custom).Name, StringComparison.OrdinalIgnoreCase))
            {
                return custom;
            }
        }

        return roleGuid switch
        {
            BuiltInRoles.Reader => "Reader",
            BuiltInRoles.SecurityReader => "Security Reader",
            BuiltInRoles.StorageBlobDataContributor => "Storage Blob Data Contributor",
            BuiltInRoles.StorageBlobDataReader => "Storage Blob Data Reader",
            BuiltInRoles.StorageQueueDataReader => "Storage Queue Data Reader",
            BuiltInRoles.StorageQueueDataMessageProcessor => "Storage Queue Data Message Processor",
            BuiltInRoles.StorageQueueDataMessageSender => "Storage Queue Data Message Sender",
            BuiltInRoles.MonitoringMetricsPublisher => "Monitoring Metrics Publisher",
            BuiltInRoles.KeyVaultReader => "Key Vault Reader",
            _ => roleGuid,
        };
    }
}
