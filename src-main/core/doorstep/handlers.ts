import { answer, type CoreContext, type HandlersFor } from '../context'

export type DoorstepHandlers = HandlersFor<'getDoorstep' | 'dismissNotice'>

export function doorstepHandlers(ctx: CoreContext): DoorstepHandlers {
  return {
    getDoorstep: () => answer(() => ctx.doorstep.view(ctx.db)),
    dismissNotice: ({ id }) =>
      answer(() => {
        // Dismissing a notice already replaced changes nothing: the newer one stays until it is read.
        if (ctx.doorstep.dismiss(id)) ctx.doorstep.changed()
        return ctx.doorstep.view(ctx.db)
      }),
  }
}
