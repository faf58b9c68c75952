// The least privilege the janitor needs on a target subscription: list and read jobs, cancel them
// (PATCH cancelRequested: ARM has no narrower action than jobs/write) and delete them. Nothing else: not
// listBitLockerKeys, no data actions. test/infra checks that this list stays exactly these three.
targetScope = 'subscription'

@description('Name (a GUID) of the role definition; the same in every subscription it is assignable in.')
param roleGuid string

@description('Display name of the custom role (unique per tenant).')
param roleName string

@minLength(1)
@description('Subscriptions where the role may be assigned.')
param assignableSubscriptionIds array

resource importExportJanitorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: roleGuid
  properties: {
    roleName: roleName
    description: 'importexport-janitor: read, cancel and delete Azure Import/Export jobs. Nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.ImportExport/jobs/read'
          'Microsoft.ImportExport/jobs/write'
          'Microsoft.ImportExport/jobs/delete'
        ]
        notActions: []
      }
    ]
    assignableScopes: [for id in assignableSubscriptionIds: '/subscriptions/${id}']
  }
}

output roleDefinitionId string = importExportJanitorRole.id
